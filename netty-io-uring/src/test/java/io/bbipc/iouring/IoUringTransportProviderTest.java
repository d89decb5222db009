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

  @Override
  protected int expectedPriority() {
    return IoUringTransportProvider.PRIORITY;
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

  /**
   * The module's tests run on Linux machines that allow io_uring; one that forbids it fails them
   * rather than passing on skips.
   */
  @Override
  protected boolean mustBeAvailableHere() {
    return true;
  }

  @Override
  protected boolean expectsAbstractNamespace() {
    return true;
  }
}
