package io.bbipc.iouring;

import io.bbipc.spi.TransportProvider;
import io.bbipc.testsuite.TransportProviderContract;
import io.netty.channel.IoHandler;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;

class IoUringTransportProviderTest extends TransportProviderContract {
  @Override
  protected String transportName() {
    return "io_uring";
  }

  @Override
  protected Class<? extends TransportProvider> providerType() {
    return IoUringTransportProvider.class;
  }

  /** The order README documents: epoll 30 = kqueue 30 > io_uring 20 > nio 0. */
  @Override
  protected int expectedPriority() {
    return 20;
  }

  @Override
  protected Class<? extends IoHandler> expectedIoHandlerType() {
    return IoUringIoHandler.class;
  }

  @Override
  protected boolean nettyIsAvailable() {
    return IoUring.isAvailable();
  }

  @Override
  protected Throwable nettyUnavailabilityCause() {
    return IoUring.unavailabilityCause();
  }

  /** Required on its platform, unless -Dbbipc.require lists the required transports. */
  @Override
  protected boolean mustBeAvailableHere() {
    return requiredHere("io_uring", "linux");
  }

  @Override
  protected boolean expectsAbstractNamespace() {
    return true;
  }
}
