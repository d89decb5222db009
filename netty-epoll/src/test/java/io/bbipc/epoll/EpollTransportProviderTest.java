package io.bbipc.epoll;

import io.bbipc.conformance.TransportProviderContract;
import io.bbipc.spi.TransportProvider;
import io.netty.channel.IoHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;

class EpollTransportProviderTest extends TransportProviderContract {
  @Override
  protected String transportName() {
    return "epoll";
  }

  @Override
  protected Class<? extends TransportProvider> providerType() {
    return EpollTransportProvider.class;
  }

  /** The order README documents: epoll 30 = kqueue 30 > io_uring 20 > nio 0. */
  @Override
  protected int expectedPriority() {
    return 30;
  }

  @Override
  protected Class<? extends IoHandler> expectedIoHandlerType() {
    return EpollIoHandler.class;
  }

  @Override
  protected boolean nettyIsAvailable() {
    return Epoll.isAvailable();
  }

  @Override
  protected Throwable nettyUnavailabilityCause() {
    return Epoll.unavailabilityCause();
  }

  /** Required on its platform, unless -Dbbipc.require lists the required transports. */
  @Override
  protected boolean mustBeAvailableHere() {
    return requiredHere("epoll", "linux");
  }

  @Override
  protected boolean expectsAbstractNamespace() {
    return true;
  }

  /** An application's group made with Netty's own epoll handler is borrowed as epoll. */
  @org.junit.jupiter.api.Test
  void aGroupOfNettysOwnEpollHandlerIsBorrowed() {
    io.netty.channel.EventLoopGroup group =
        new io.netty.channel.MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try (io.bbipc.Ipc ipc = io.bbipc.Ipc.builder().eventLoopGroup(group).build()) {
      org.junit.jupiter.api.Assertions.assertEquals("epoll", ipc.transportName());
    } finally {
      group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
    }
  }
}
