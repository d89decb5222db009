package io.bbipc.internal;

import io.netty.util.internal.ThreadExecutorMap;
import java.util.concurrent.locks.LockSupport;

/** A thread parked in {@code poll} or {@code pollSockets}, woken by any watched socket. */
final class Waiter implements Listener {
  private final Thread thread = Thread.currentThread();
  /** How long to spin before parking: a wake-up from park costs tens of microseconds. */
  private final long spinNanos;
  private volatile boolean signalled;

  Waiter(long spinNanos) {
    this.spinNanos = spinNanos;
  }

  @Override
  public boolean stateChanged(AbstractSocket socket) {
    signalled = true;
    LockSupport.unpark(thread);
    return true;
  }

  /**
   * Parks until signalled, the deadline or an interrupt; clears the signal.
   *
   * @param deadline a {@link System#nanoTime()} deadline, or {@link Long#MAX_VALUE} for none
   * @return false if the deadline has passed
   */
  boolean await(long deadline) {
    if (!signalled && spinNanos > 0) {
      long spinEnd = System.nanoTime() + spinNanos;
      while (!signalled && System.nanoTime() - spinEnd < 0 && System.nanoTime() - deadline < 0
          && !thread.isInterrupted()) {
        Thread.onSpinWait();
      }
    }
    if (!signalled) {
      if (deadline == Long.MAX_VALUE) {
        LockSupport.park(this);
      } else {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        LockSupport.parkNanos(this, left);
      }
    }
    signalled = false;
    return deadline == Long.MAX_VALUE || deadline - System.nanoTime() > 0;
  }

  /**
   * Refuses to wait on an event loop thread: every socket on that loop would stall, and a
   * wait for its own loop would never end.
   */
  static void checkMayBlock(String what) {
    if (onEventLoop()) {
      throw new IllegalStateException(what + " would block the event loop thread "
          + Thread.currentThread().getName() + "; on an event loop use whenReady or Timeout.IMMEDIATE");
    }
  }

  static boolean onEventLoop() {
    return ThreadExecutorMap.currentExecutor() != null;
  }

  static long deadline(long timeoutNanos) {
    if (timeoutNanos == Long.MAX_VALUE) {
      return Long.MAX_VALUE;
    }
    long deadline = System.nanoTime() + timeoutNanos;
    // an overflowing deadline is as good as none
    return deadline - System.nanoTime() < 0 ? Long.MAX_VALUE : deadline;
  }
}
