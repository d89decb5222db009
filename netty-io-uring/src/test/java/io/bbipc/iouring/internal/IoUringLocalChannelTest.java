package io.bbipc.iouring.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.conformance.LocalChannelContract;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The local channel contract on bbipc's io_uring channels ({@link IoUringLocalChannel}). */
class IoUringLocalChannelTest extends LocalChannelContract {
  @BeforeEach
  void ioUringRuns() {
    Assumptions.assumeTrue(
        IoUring.isAvailable(), () -> "io_uring: " + IoUring.unavailabilityCause());
  }

  /**
   * Linux answers SO_PEERCRED for an unconnected socket too (pid 0, uid -1): the channel says it is
   * not connected instead, and closed once closed, so nobody is taken for root's peer.
   */
  @Test
  void peerCredentialsOfAnUnconnectedOrClosedChannelAreRefused() throws Exception {
    IoUringLocalChannel ch = new IoUringLocalChannel();
    try {
      IOException unconnected = assertThrows(IOException.class, ch::peerCredentials);
      assertTrue(unconnected.getMessage().contains("not connected"), unconnected.getMessage());
    } finally {
      ch.unsafe().closeForcibly();
    }
    assertThrows(ClosedChannelException.class, ch::peerCredentials);
  }

  @Override
  protected String transport() {
    return "io_uring";
  }

  /** A plain group: Netty's io_uring handler has no hook to count turns ({@link #work} instead). */
  @Override
  protected EventLoopGroup newLoopGroup(AtomicLong turns) {
    return new MultiThreadIoEventLoopGroup(1, IoUringIoHandler.newFactory());
  }

  @Override
  protected DuplexChannel newChannel() {
    return new IoUringLocalChannel();
  }

  /** The polls in the ring: input as {@code OP_READ}, output as {@code OP_WRITE}. */
  @Override
  protected int interestOps(Channel ch) {
    try {
      return ch.eventLoop()
          .submit(() -> ((IoUringLocalChannel) ch).interestOps())
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("cannot read the polls of " + ch, e);
    }
  }

  /** The polls the channel asked of the ring: one that re-arms at end-of-stream spins. */
  @Override
  protected long work(Channel ch, AtomicLong turns) {
    try {
      return ch.eventLoop()
          .submit(() -> ((IoUringLocalChannel) ch).pollsArmed())
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("cannot read the polls of " + ch, e);
    }
  }
}
