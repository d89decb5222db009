package io.bbipc.internal;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * A stream's way in: the bytes the event loop read, kept in its {@link InboundBuffer} until readers
 * take them, and reading paused ({@link ReadGate}) once they reach the stream's inbound limit,
 * until readers have drained half of it. Each pause is recorded in {@link ReadPauses}. The event
 * loop adds and pauses; any thread reads, and a read that makes room asks the loop to resume.
 */
final class StreamInbound {
  private final InboundBuffer buffer = new InboundBuffer();
  private final RealStream stream;

  /** The runtime's inbound buffer limit. */
  private final int limit;

  /** Pauses reading at the limit, resumes once readers have drained half of it. */
  private final ReadGate gate;

  private final ReadPauses pauses;

  StreamInbound(RealStream stream, ReadPauses pauses) {
    this.stream = stream;
    this.limit = stream.runtime.inboundBufferLimit();
    this.gate =
        new ReadGate(
            stream.channel,
            stream.runtime.isCallerDriven(),
            () -> buffer.readable() <= limit / 2,
            () -> resumed("drained"));
    this.pauses = pauses;
  }

  /**
   * Event loop: keeps a chunk, and pauses reading if the buffer is now at its limit.
   *
   * @return whether reading is paused now, the readers having made no room meanwhile
   */
  boolean add(ByteBuf chunk) {
    int buffered = buffer.add(chunk, stream.channel.alloc());
    if (buffered >= limit && gate.pause()) {
      pauses.paused(stream, buffered);
      gate.resumeIfRoom();
      return gate.isPaused();
    }
    return false;
  }

  /** Whether reading is paused at the limit now; any thread. */
  boolean isPaused() {
    return gate.isPaused();
  }

  /**
   * Event loop: the connection was reset, so reading goes on past the limit, to take what the
   * kernel still holds.
   */
  void resumeAfterReset() {
    gate.resume();
    resumed("connection reset");
  }

  /** Event loop: reading started again; the pause's time is counted and its event committed. */
  private void resumed(String why) {
    pauses.resumed(why, buffer.readable());
  }

  /** Copies up to {@code length} bytes into {@code dst[offset..]}; takes them unless peeking. */
  int read(byte[] dst, int offset, int length, boolean peek) {
    int n = buffer.read(dst, offset, length, peek);
    if (n > 0 && !peek) {
      gate.consumed();
    }
    return n;
  }

  /** Takes as many bytes as {@code dst} has room for, up to what is buffered. */
  int read(ByteBuffer dst) {
    int n = buffer.read(dst);
    if (n > 0) {
      gate.consumed();
    }
    return n;
  }

  /** Bytes buffered now; any thread, without the buffer's lock. */
  int readable() {
    return buffer.readable();
  }

  /** Bytes taken by reads (not peeks) since the stream began. */
  long consumed() {
    return buffer.consumed();
  }

  /** The stream's close: a pause under way ends now, its time stopping, and none starts after. */
  void closed() {
    pauses.closed(buffer.readable());
  }

  /** Drops what is still buffered and releases the buffers; later chunks are released at once. */
  void release() {
    buffer.release();
  }
}
