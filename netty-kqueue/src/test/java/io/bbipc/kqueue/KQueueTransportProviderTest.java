package io.bbipc.kqueue;

import io.bbipc.spi.TransportProvider;
import io.bbipc.testsuite.TransportProviderContract;
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

  @Override
  protected int expectedPriority() {
    return KQueueTransportProvider.PRIORITY;
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

  /** The module is built on Linux too, where kqueue never runs: there the tests that need it skip. */
  @Override
  protected boolean mustBeAvailableHere() {
    return false;
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
