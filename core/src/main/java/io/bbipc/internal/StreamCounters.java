package io.bbipc.internal;

import io.bbipc.StreamStats;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stream's counters, and the {@link StreamStats} snapshot made of them and of its inbound buffer.
 * Each counter has its own writer: bytes received the event loop; bytes written and short writes
 * the writing threads; bytes sent and dropped the transport, through {@link SentBytes}; read pauses
 * the event loop and the stream's close, under {@link ReadPauses}' monitor. Any thread takes a
 * snapshot.
 */
final class StreamCounters {
  private final Channel channel;

  /** Bytes received from the kernel; written on the event loop only. */
  private volatile long bytesReceived;

  /** Bytes writeToStream accepted, and the calls that took fewer than offered; any writer. */
  private final AtomicLong bytesWritten = new AtomicLong();

  private final AtomicLong shortWrites = new AtomicLong();

  /** Counts what the transport hands to the kernel; the promise of the stream's writes. */
  private final SentBytes sent;

  /** Pauses at the inbound limit, their time and JFR events; the stream's close ends one. */
  final ReadPauses pauses = new ReadPauses();

  StreamCounters(Channel channel) {
    this.channel = channel;
    this.sent = new SentBytes(channel);
  }

  /** Event loop: a chunk of {@code bytes} came from the kernel. */
  void received(int bytes) {
    bytesReceived += bytes;
  }

  /** A writer took {@code taken} of the {@code offered} bytes; returns {@code taken}. */
  int written(int taken, int offered) {
    if (taken > 0) {
      bytesWritten.addAndGet(taken);
    }
    if (taken < offered) {
      shortWrites.incrementAndGet();
    }
    return taken;
  }

  long bytesWritten() {
    return bytesWritten.get();
  }

  /**
   * The promise of a write of {@code bytes}, which counts what the transport hands to the kernel.
   *
   * @param direct whether the write goes from bbipc's handler straight to the transport: the
   *     stream's one counting promise then costs nothing; a write that passes the application's
   *     handlers gets a promise of its own, which a handler may keep or complete in its own time
   */
  ChannelPromise promise(boolean direct, int bytes) {
    return direct ? sent : sent.forWrite(bytes);
  }

  /** The snapshot of these counters and of {@code inbound}; any thread. */
  StreamStats snapshot(StreamInbound inbound) {
    // sent and dropped before written: a write is counted as written before it is sent, so the
    // bytes still held never come out negative
    long sentNow = sent.sent();
    long dropped = sent.dropped();
    long written = bytesWritten.get();
    // once Netty has let go of its buffer (a close, or the output shut down after a flush) the
    // stream holds nothing: what a close did not send is dropped
    long held =
        channel.unsafe().outboundBuffer() == null ? 0 : Math.max(0, written - sentNow - dropped);
    return new StreamStats(
        inbound.consumed(),
        bytesReceived,
        written,
        sentNow,
        inbound.readable(),
        held,
        pauses.count(),
        pauses.total(),
        shortWrites.get());
  }
}
