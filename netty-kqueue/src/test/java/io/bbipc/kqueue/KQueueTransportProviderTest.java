package io.bbipc.kqueue;

import io.bbipc.conformance.TransportProviderContract;
import io.bbipc.spi.TransportProvider;
import io.netty.channel.IoHandler;
import io.netty.channel.kqueue.KQueue;
import io.netty.channel.kqueue.KQueueIoHandler;

class KQueueTransportProviderTest extends TransportProviderContract {
  @Override
  protected String transportName() {
    return "kqueue";
  }

  @Override
  protected Class<? extends TransportProvider> providerType() {
    return KQueueTransportProvider.class;
  }

  /** The order README documents: epoll 30 = kqueue 30 > io_uring 20 > nio 0. */
  @Override
  protected int expectedPriority() {
    return 30;
  }

  @Override
  protected Class<? extends IoHandler> expectedIoHandlerType() {
    return KQueueIoHandler.class;
  }

  @Override
  protected boolean nettyIsAvailable() {
    return KQueue.isAvailable();
  }

  @Override
  protected Throwable nettyUnavailabilityCause() {
    return KQueue.unavailabilityCause();
  }

  /** Required on its platform, unless -Dbbipc.require lists the required transports. */
  @Override
  protected boolean mustBeAvailableHere() {
    return requiredHere("kqueue", "mac");
  }

  @Override
  protected boolean expectsAbstractNamespace() {
    return false;
  }

  /** Only macOS has LOCAL_PEERPID; elsewhere the provider says -1, "unknown". */
  @Override
  protected boolean peerPidAlwaysKnown() {
    return System.getProperty("os.name", "").startsWith("Mac");
  }
}
