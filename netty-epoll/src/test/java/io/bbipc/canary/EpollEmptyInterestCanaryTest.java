package io.bbipc.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.bbipc.epoll.EpollTransportProvider;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Canary: Netty's {@code EpollIoHandler} takes a socket out of the epoll set when its channel waits
 * for nothing, but keeps the registration marked as added, so the channel's next wait (for
 * writability) fails with {@code epoll_ctl} ENOENT and Netty shuts its output down. See
 * docs/netty-workarounds.md, section "epoll forgets a socket that waits for nothing".
 *
 * <p>A half-closed local stream gets there every time: after the peer's end-of-stream it waits for
 * nothing (no input to wait for, nothing to write), and then it writes more than the socket takes
 * at once. The first test runs that on Netty's own handler and passes while the bytes are lost; the
 * second runs the same steps on bbipc's handler ({@code KeptRegistrationIoHandler}, through the
 * provider), to show that they tell a handler that keeps the socket apart.
 */
class EpollEmptyInterestCanaryTest {
  private static final String FIXED =
      "Netty fixed EpollIoHandler's removal of a socket that waits for nothing (a half-closed"
          + " stream wrote 4 MiB after its peer's end-of-stream): delete"
          + " netty-epoll/src/main/java/io/bbipc/epoll/KeptRegistrationIoHandler.java;"
          + " EpollTransportProvider.ioHandlerFactory() returns EpollIoHandler.newFactory() and"
          + " drives(group) checks EpollIoHandler alone; see docs/netty-workarounds.md";

  /** Far more than a local socket's buffers take at once (about 200 KiB each way on Linux). */
  private static final int BYTES = 4 << 20;

  @TempDir Path dir;

  @BeforeEach
  void epollRuns() {
    Assumptions.assumeTrue(Epoll.isAvailable(), () -> "epoll: " + Epoll.unavailabilityCause());
  }

  @Test
  void nettysEpollHandlerLosesAHalfClosedStreamsWrite() throws Exception {
    Outcome o = writeAfterThePeersEndOfStream(EpollIoHandler.newFactory());
    if (o.received < BYTES && o.writeFailed) {
      return; // the defect: the write failed and the peer got only what the socket took at once
    }
    if (o.received == BYTES && o.writeSucceeded) {
      fail(FIXED + " (" + o + ")");
    }
    fail("Netty's epoll handler changed how a half-closed stream writes: " + o);
  }

  /** The same steps on bbipc's epoll handler: every byte arrives. */
  @Test
  void theSameStepsSeeBbipcsHandlerDeliverEveryByte() throws Exception {
    Outcome o = writeAfterThePeersEndOfStream(new EpollTransportProvider().ioHandlerFactory());
    assertFalse(o.writeFailed, o.toString());
    assertEquals(BYTES, o.received, o.toString());
    assertTrue(o.writeSucceeded, o.toString());
  }

  /** What became of the write. */
  private static final class Outcome {
    long received;
    boolean writeFailed;
    boolean writeSucceeded;
    Throwable cause;

    @Override
    public String toString() {
      return "the peer received "
          + received
          + " of "
          + BYTES
          + " bytes; write failed="
          + writeFailed
          + ", succeeded="
          + writeSucceeded
          + (cause == null ? "" : ", cause=" + cause);
    }
  }

  /**
   * An epoll local stream (half-closure allowed) whose JDK peer shuts its output down: once the
   * stream has been told, it writes {@link #BYTES} in one go while the peer does not read; if the
   * write has not ended within 5 s (it waits for the peer, as it should), the peer reads it all.
   */
  private Outcome writeAfterThePeersEndOfStream(IoHandlerFactory handlers) throws Exception {
    Path path = dir.resolve("s");
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, handlers);
    Outcome o = new Outcome();
    CountDownLatch told = new CountDownLatch(1);
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(path));
      Channel ch =
          new Bootstrap()
              .group(group)
              .channel(EpollDomainSocketChannel.class)
              .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
              .handler(
                  new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                      if (evt instanceof ChannelInputShutdownEvent) {
                        told.countDown();
                      }
                      ReferenceCountUtil.release(evt);
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                      ReferenceCountUtil.release(msg);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                      // the write's future says what failed
                    }
                  })
              .connect(new DomainSocketAddress(path.toString()))
              .sync()
              .channel();
      try (SocketChannel peer = server.accept()) {
        peer.shutdownOutput();
        assertTrue(
            told.await(10, TimeUnit.SECONDS),
            "the stream was not told of the peer's end-of-stream in 10 s (closed: "
                + !ch.isOpen()
                + ")");
        // the event came from the loop's handling of the end-of-stream; a task behind it runs once
        // the channel has submitted what it now waits for (nothing)
        ch.eventLoop().submit(() -> {}).get(10, TimeUnit.SECONDS);
        ChannelFuture write = ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[BYTES]));
        write.await(5, TimeUnit.SECONDS);
        o.received = readUpTo(peer, BYTES, 30);
        write.await(10, TimeUnit.SECONDS);
        o.writeFailed = write.isDone() && !write.isSuccess();
        o.writeSucceeded = write.isSuccess();
        o.cause = write.cause();
      } finally {
        ch.close().await(10, TimeUnit.SECONDS);
      }
    } finally {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
    return o;
  }

  /**
   * Reads (and drops) up to {@code n} bytes, until end-of-stream or {@code seconds} have passed.
   */
  private static long readUpTo(SocketChannel peer, long n, int seconds) throws IOException {
    ByteBuffer in = ByteBuffer.allocate(64 << 10);
    long total = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    peer.configureBlocking(false);
    try (Selector selector = Selector.open()) {
      peer.register(selector, SelectionKey.OP_READ);
      while (total < n) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          break;
        }
        selector.select(left);
        selector.selectedKeys().clear();
        in.clear();
        int r = peer.read(in);
        if (r < 0) {
          break;
        }
        total += r;
      }
    }
    return total;
  }
}
