package io.bbipc.iouring.internal;

import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;

/**
 * One socket's readiness, asked of io_uring with one-shot {@code IORING_OP_POLL_ADD}s: at most one
 * poll for input and one for output at a time.
 *
 * <p>Only polls, never reads or writes, go through the ring: the kernel then never holds a buffer
 * of ours, so a channel may close its socket and free its buffers at once, with polls still in the
 * ring (they hold the kernel's own reference to the file and are cancelled here first).
 */
final class RingPolls {
  /** {@code POLLIN}, {@code POLLOUT} (Linux, every architecture Netty builds io_uring for). */
  static final int POLLIN = 0x1;

  static final int POLLOUT = 0x4;

  private static final byte IORING_OP_POLL_ADD = 6;
  private static final byte IORING_OP_ASYNC_CANCEL = 14;

  private final int fd;
  private IoRegistration registration;

  /**
   * The tag (the op's {@code userData}) of the poll in the ring for each direction, 0 for none; odd
   * for input, even for output, so a completion names its direction and a stale one (of a poll
   * cancelled before its completion came) matches nothing.
   */
  private long inTag;

  private long outTag;
  private long inId;
  private long outId;
  private long lastTag;

  /** Polls asked of the ring so far: a socket's waits, which a spinning channel multiplies. */
  private long armed;

  RingPolls(int fd) {
    this.fd = fd;
  }

  /** Registers a channel's handle with the ring of the channel's loop; the promise follows. */
  void register(EventLoop loop, IoUringIoHandle handle, ChannelPromise promise) {
    ((IoEventLoop) loop)
        .register(handle)
        .addListener(
            f -> {
              if (f.isSuccess()) {
                registration = (IoRegistration) f.getNow();
                promise.setSuccess();
              } else {
                promise.setFailure(f.cause());
              }
            });
  }

  /** Tells whether a loop runs a ring that takes handles of the type. */
  static boolean isCompatible(EventLoop loop, Class<? extends IoUringIoHandle> handleType) {
    return loop instanceof IoEventLoop && ((IoEventLoop) loop).isCompatible(handleType);
  }

  /** Asks once to be told when the socket is readable (or at end-of-stream, or failed). */
  void armIn() {
    if (inTag == 0) {
      inTag = nextTag(1);
      inId = submit(POLLIN, inTag);
      if (inId == 0) {
        inTag = 0;
      }
    }
  }

  /** Asks once to be told when the socket takes more bytes (or has failed). */
  void armOut() {
    if (outTag == 0) {
      outTag = nextTag(0);
      outId = submit(POLLOUT, outTag);
      if (outId == 0) {
        outTag = 0;
      }
    }
  }

  boolean outArmed() {
    return outTag != 0;
  }

  /** The polls in the ring, as {@link #POLLIN} and {@link #POLLOUT} bits. */
  int interest() {
    return (inTag != 0 ? POLLIN : 0) | (outTag != 0 ? POLLOUT : 0);
  }

  long armed() {
    return armed;
  }

  private long nextTag(int parity) {
    long tag = lastTag + 1;
    if ((tag & 1) != parity) {
      tag++;
    }
    if (tag > Short.MAX_VALUE) {
      // tags that fit a short take Netty's fast path (no table of pending operations)
      tag = 2 - parity;
    }
    lastTag = tag;
    return tag;
  }

  private long submit(int mask, long tag) {
    IoRegistration r = registration;
    if (r == null || !r.isValid()) {
      return 0;
    }
    armed++;
    return r.submit(
        new IoUringIoOps(
            IORING_OP_POLL_ADD,
            (byte) 0,
            (short) 0,
            fd,
            0L,
            0L,
            0,
            mask,
            tag,
            (short) 0,
            (short) 0,
            0,
            0L));
  }

  /**
   * Takes a completion: returns {@link #POLLIN} or {@link #POLLOUT} for the direction whose poll
   * ended (with readiness or an error the next system call will report), 0 for one to ignore (a
   * cancelled poll, a cancel's own completion).
   */
  int completed(IoUringIoEvent event) {
    if (event.opcode() != IORING_OP_POLL_ADD) {
      return 0;
    }
    long tag = event.userData();
    int direction;
    if (tag != 0 && tag == inTag) {
      inTag = 0;
      inId = 0;
      direction = POLLIN;
    } else if (tag != 0 && tag == outTag) {
      outTag = 0;
      outId = 0;
      direction = POLLOUT;
    } else {
      return 0;
    }
    // a live poll the kernel cancelled (not this class: it forgets a poll it cancels) is treated
    // as readiness, so the next system call says what happened and the direction is not lost
    return direction;
  }

  /** Cancels the polls in the ring; their completions, when they come, are ignored. */
  void cancel() {
    IoRegistration r = registration;
    if (r != null && r.isValid()) {
      if (inTag != 0) {
        r.submit(cancelOf(inId));
      }
      if (outTag != 0) {
        r.submit(cancelOf(outId));
      }
    }
    inTag = 0;
    outTag = 0;
    inId = 0;
    outId = 0;
  }

  /** Cancels the polls and leaves the ring; the registration goes once their completions came. */
  void deregister() {
    cancel();
    IoRegistration r = registration;
    registration = null;
    if (r != null) {
      r.cancel();
    }
  }

  private static IoUringIoOps cancelOf(long id) {
    return new IoUringIoOps(
        IORING_OP_ASYNC_CANCEL,
        (byte) 0,
        (short) 0,
        -1,
        0L,
        id,
        0,
        0,
        0L,
        (short) 0,
        (short) 0,
        0,
        0L);
  }
}
