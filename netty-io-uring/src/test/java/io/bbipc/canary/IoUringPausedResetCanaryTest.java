package io.bbipc.canary;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Canary: a Netty io_uring TCP channel whose reading is paused ({@code autoRead} off) when its peer
 * resets the connection never reports the reset: no {@code exceptionCaught}, no {@code
 * channelInactive}, and it stays open, even once reading resumes. See docs/netty-workarounds.md,
 * section "io_uring misses a reset that comes while reading is paused".
 *
 * <p>The first test runs Netty's io_uring channel (skipped, with Netty's reason, where io_uring
 * cannot run) and passes while the reset goes unreported; the second runs the same steps on Netty's
 * NIO channel, which reports it, to show that the steps tell the two apart.
 */
class IoUringPausedResetCanaryTest {
  /** {@code TCP_CLOSE} in {@code tcpi_state}: the kernel has taken the peer's reset. */
  private static final int TCP_CLOSE = 7;

  private static final String FIXED =
      "Netty fixed io_uring's reset while reading is paused (the channel reports it once reading"
          + " resumes): delete the reset probe's pause watch in"
          + " core/src/main/java/io/bbipc/internal/ResetProbe.java (paused, the resume in probe,"
          + " PROBE_AFTER_RESUME, StreamInbound.resumeAfterReset) and its call in"
          + " RealStream.received, TransportProvider.canTellReset"
          + " and connectionReset, NativeTransportProvider's TCP_INFO methods and the providers'"
          + " isTcpInfoChannel and tcpState, once PausedResetReliabilityTest passes without them"
          + " over epoll and io_uring; see docs/netty-workarounds.md";

  @Test
  void nettysIoUringChannelMissesAResetThatCameWhilePaused() throws Exception {
    Assumptions.assumeTrue(
        IoUring.isAvailable(), () -> "io_uring: " + IoUring.unavailabilityCause());
    Outcome o =
        resetWhilePaused(
            IoUringIoHandler.newFactory(),
            IoUringSocketChannel.class,
            ch -> ((IoUringSocketChannel) ch).tcpInfo().state() == TCP_CLOSE);
    if (!o.inactive && o.open && o.error == null) {
      return; // the defect: the reset never reported, the channel open
    }
    if (o.inactive) {
      fail(FIXED + " (" + o + ")");
    }
    fail("Netty's io_uring channel changed how it treats a reset while paused: " + o);
  }

  /** The same steps on Netty's NIO channel: the reset is reported once reading resumes. */
  @Test
  void theSameStepsSeeNioReportTheReset() throws Exception {
    // NIO reads only when asked: when the reset arrives does not matter to it
    Outcome o = resetWhilePaused(NioIoHandler.newFactory(), NioSocketChannel.class, ch -> true);
    assertTrue(o.inactive, o.toString());
    assertFalse(o.open, o.toString());
  }

  /** What the channel reported after its reading resumed. */
  private static final class Outcome {
    long received;
    boolean inactive;
    boolean open;
    Throwable error;

    @Override
    public String toString() {
      return "received "
          + received
          + " bytes; channelInactive="
          + inactive
          + ", open="
          + open
          + ", exceptionCaught="
          + error;
    }
  }

  /**
   * A channel connects to a JDK server; it pauses reading in the read of the peer's first bytes;
   * the peer then writes more and resets the connection; once {@code resetSeen} (asked on the loop,
   * for 10 s at most) says the kernel has the reset, reading resumes, and the channel has 5 s to
   * report the reset.
   */
  private static Outcome resetWhilePaused(
      IoHandlerFactory handlers, Class<? extends Channel> type, Predicate<Channel> resetSeen)
      throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, handlers);
    AtomicLong received = new AtomicLong();
    AtomicReference<Throwable> error = new AtomicReference<>();
    CountDownLatch paused = new CountDownLatch(1);
    CountDownLatch inactive = new CountDownLatch(1);
    Outcome o = new Outcome();
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Channel ch =
          new Bootstrap()
              .group(group)
              .channel(type)
              .handler(
                  new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                      received.addAndGet(((ByteBuf) msg).readableBytes());
                      ReferenceCountUtil.release(msg);
                      if (paused.getCount() > 0) {
                        ctx.channel().config().setAutoRead(false);
                        paused.countDown();
                      }
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                      inactive.countDown();
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                      error.compareAndSet(null, cause);
                    }
                  })
              .connect(server.getLocalSocketAddress())
              .sync()
              .channel();
      try (Socket peer = server.accept()) {
        OutputStream out = peer.getOutputStream();
        out.write(new byte[1000]);
        out.flush();
        assertTrue(paused.await(10, TimeUnit.SECONDS), "no bytes read in 10 s");
        out.write(new byte[100_000]);
        out.flush();
        peer.setSoLinger(true, 0);
        peer.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ch.isOpen()
            && !ch.eventLoop().submit(() -> resetSeen.test(ch)).get(10, TimeUnit.SECONDS)) {
          assertTrue(System.nanoTime() < deadline, "the kernel did not take the reset in 10 s");
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        ch.eventLoop().execute(() -> ch.config().setAutoRead(true));
        o.inactive = inactive.await(5, TimeUnit.SECONDS);
        o.open = ch.isOpen();
        o.error = error.get();
        o.received = received.get();
      } finally {
        ch.close().await(10, TimeUnit.SECONDS);
      }
    } finally {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
    return o;
  }
}
