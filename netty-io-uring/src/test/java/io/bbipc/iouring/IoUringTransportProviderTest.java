package io.bbipc.iouring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.LocalServer;
import io.bbipc.LocalStream;
import io.bbipc.PeerCredentials;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.conformance.TransportProviderContract;
import io.bbipc.netty.NettyIpc;
import io.bbipc.spi.TransportProvider;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.IoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IoUringTransportProviderTest extends TransportProviderContract {
  @TempDir Path socketDir;

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

  /**
   * bbipc's local streams run on its own channels, but an application may adopt a channel of
   * Netty's own io_uring local class: that stream too tells who is at the other end.
   */
  @Test
  void anAdoptedNettyLocalChannelReportsItsPeer() throws Exception {
    Assumptions.assumeTrue(
        IoUring.isAvailable(), () -> "io_uring: " + IoUring.unavailabilityCause());
    Path path = socketDir.resolve("adopt.sock");
    try (Ipc ipc = Ipc.builder().transport("io_uring").build();
        LocalServer server = ipc.makeLocalServer(path)) {
      ChannelFuture connected =
          new Bootstrap()
              .group(ipc.eventLoopGroup())
              .channel(IoUringDomainSocketChannel.class)
              .handler(new ChannelInboundHandlerAdapter())
              .connect(new DomainSocketAddress(path.toString()));
      assertTrue(connected.awaitUninterruptibly(10, TimeUnit.SECONDS), "connect did not finish");
      assertTrue(connected.isSuccess(), () -> "connect failed: " + connected.cause());
      try (StreamSocket adopted = NettyIpc.adopt(connected.channel())) {
        LocalStream local = assertInstanceOf(LocalStream.class, adopted);
        PeerCredentials peer = local.peerCredentials().orElseThrow();
        assertEquals(ProcessHandle.current().pid(), peer.pid(), "pid of the server's process");
        assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, Timeout.seconds(10)));
        try (LocalStream accepted = server.acceptConnection()) {
          assertEquals(
              peer.uid(),
              accepted.peerCredentials().orElseThrow().uid(),
              "the uid each end reports of the other (one process: the same)");
        }
      }
    }
  }
}
