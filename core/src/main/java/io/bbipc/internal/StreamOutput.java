package io.bbipc.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DuplexChannel;
import java.nio.ByteBuffer;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A stream channel's way out, in the order the stream's user made it: how much the channel takes
 * now, each write with the stream's counting promise, the end-of-stream after what was written
 * before it, and the close after a flush. Writes run on the writing thread (Netty queues them on
 * the loop); the end-of-stream and the close run on the event loop, queued behind those writes.
 */
final class StreamOutput {
  /** How long a closed stream may keep trying to deliver what was written before it is dropped. */
  static final long CLOSE_LINGER_SECONDS = 30;

  private final Channel channel;
  private final StreamCounters counters;
  private final int limit;

  /** Whether the channel is an application's own, whose pipeline bbipc does not know. */
  private final boolean adopted;

  StreamOutput(Channel channel, StreamCounters counters, int limit, boolean adopted) {
    this.channel = channel;
    this.counters = counters;
    this.limit = limit;
    this.adopted = adopted;
  }

  /** How many of {@code wanted} bytes the outbound buffer takes now, never more than the limit. */
  int room(int wanted) {
    if (wanted == 0 || !channel.isWritable()) {
      return 0;
    }
    // the high water mark is at least 1 (see SocketMaker.configureStream), so cap at the limit
    long room = Math.min(channel.bytesBeforeUnwritable(), limit);
    return (int) Math.max(0, Math.min(wanted, room));
  }

  /** The first {@code n} bytes of {@code buffer[start..]}, in a direct buffer for the transport. */
  ByteBuf copy(byte[] buffer, int start, int n) {
    return channel.alloc().ioBuffer(n).writeBytes(buffer, start, n);
  }

  /** The next {@code n} bytes of {@code source}, in a direct buffer for the transport. */
  ByteBuf copy(ByteBuffer source, int n) {
    ByteBuf chunk = channel.alloc().ioBuffer(n);
    int limit = source.limit();
    source.limit(source.position() + n);
    chunk.writeBytes(source);
    source.limit(limit);
    return chunk;
  }

  /**
   * Writes and flushes {@code chunk}, whose bytes are counted as the transport hands them to the
   * kernel.
   *
   * @throws RejectedExecutionException if the event loop has shut down; the chunk is released
   */
  void send(ByteBuf chunk) {
    // Straight from bbipc's handler to the transport, the stream's one counting promise hears the
    // progress of the write; a write that passes the application's handlers gets its own.
    boolean direct = !adopted && channel.pipeline().first() instanceof StreamTail;
    try {
      channel.writeAndFlush(chunk, counters.promise(direct, chunk.readableBytes()));
    } catch (RejectedExecutionException loopGone) {
      // Netty has released the chunk where it could; make sure it is not left behind
      if (chunk.refCnt() > 0) {
        chunk.release();
      }
      throw loopGone;
    }
  }

  /**
   * Any thread: sends end-of-stream after every write this thread made.
   *
   * @param callerDriven whether the caller is a caller-driven runtime's owner, whose writes are
   *     already on the channel, in order: the end follows them at once
   * @throws RejectedExecutionException if the event loop has shut down
   */
  void endAfterWrites(boolean callerDriven) {
    if (callerDriven) {
      endOutput();
    } else {
      // queued behind every write this thread made, so end-of-stream follows them
      channel.eventLoop().execute(this::endOutput);
    }
  }

  /**
   * Event loop: sends end-of-stream once what was written is flushed; a connecting stream waits.
   */
  void endOutput() {
    if (!channel.isActive()) {
      return;
    }
    channel
        .writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener(
            flushed -> {
              if (!channel.isActive()) {
                return;
              }
              if (!(channel instanceof DuplexChannel)) {
                channel.close();
                return;
              }
              // once both directions are finished the channel stays open until the user closes the
              // stream: closing it here could race the peer's last bytes into a reset
              ((DuplexChannel) channel).shutdownOutput();
            });
  }

  /**
   * Any thread: closes the channel once what was written before this call is delivered, or after
   * {@link #CLOSE_LINGER_SECONDS} to a peer that does not read; at once if the loop has gone.
   */
  void closeAfterFlush() {
    try {
      // Queued behind every write this thread made, and, on the loop, run after the reads and
      // tasks under way: writes the user made before are flushed before the close.
      channel.eventLoop().execute(this::flushAndClose);
    } catch (RejectedExecutionException loopGone) {
      channel.close();
    }
  }

  private void flushAndClose() {
    if (!channel.isOpen()) {
      return;
    }
    ChannelFuture flushed = channel.writeAndFlush(Unpooled.EMPTY_BUFFER);
    if (flushed.isDone()) {
      shutdownAndClose();
    } else {
      flushed.addListener(f -> shutdownAndClose());
      channel
          .eventLoop()
          .schedule(
              () -> {
                channel.close();
              },
              CLOSE_LINGER_SECONDS,
              TimeUnit.SECONDS);
    }
  }

  /**
   * Sends the end of stream before closing. Netty's io_uring local channel, which bbipc used before
   * its own, was seen (a few in a hundred) to close while a receive was in flight without the peer
   * ever seeing EOF; that channel is no longer used, the order is kept for every channel, and
   * {@code CloseWhileReceivingReliabilityTest} checks over every transport pair that a close is
   * seen.
   */
  private void shutdownAndClose() {
    if (channel instanceof DuplexChannel && channel.isActive()) {
      ((DuplexChannel) channel).shutdownOutput().addListener(f -> channel.close());
    } else {
      channel.close();
    }
  }
}
