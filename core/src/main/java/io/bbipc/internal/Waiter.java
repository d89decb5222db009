package io.bbipc.internal;

import io.netty.util.internal.ThreadExecutorMap;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread waiting in {@code poll}, {@code pollSockets} or {@code waitForEvents}, woken by any
 * watched socket: parked, or, when it owns caller-driven loops, running them in their wait.
 */
final class Waiter implements Listener {
  static final CallerDrivenLoop[] NO_LOOPS = new CallerDrivenLoop[0];

  private final Thread thread = Thread.currentThread();

  /** How long to spin before parking: a wake-up from park costs tens of microseconds. */
  private final long spinNanos;

  /** The caller-driven loops this thread owns among the watched sockets; it blocks in the first. */
  private final CallerDrivenLoop[] loops;

  private volatile boolean signalled;

  Waiter(long spinNanos) {
    this(spinNanos, NO_LOOPS);
  }

  Waiter(long spinNanos, CallerDrivenLoop[] loops) {
    this.spinNanos = spinNanos;
    this.loops = loops;
  }

  @Override
  public boolean stateChanged(AbstractSocket socket) {
    signalled = true;
    if (loops.length == 0) {
      LockSupport.unpark(thread);
    } else {
      loops[0].wakeup();
    }
    return true;
  }

  /**
   * The distinct caller-driven loops of the runtimes given, after checking that the current thread
   * owns each and letting each run what other threads queued for it.
   */
  static CallerDrivenLoop[] loopsOf(Iterable<IpcRuntime> runtimes, Object what) {
    java.util.List<CallerDrivenLoop> found = new java.util.ArrayList<>(1);
    for (IpcRuntime runtime : runtimes) {
      CallerDrivenLoop loop = runtime.loop();
      if (loop != null && !found.contains(loop)) {
        runtime.enter(what);
        found.add(loop);
      }
    }
    return found.isEmpty() ? NO_LOOPS : found.toArray(NO_LOOPS);
  }

  /** Runs each loop once without blocking; a loop run from inside itself is left alone. */
  static int runNow(CallerDrivenLoop[] loops) {
    int n = 0;
    for (CallerDrivenLoop loop : loops) {
      if (loop.mayRun()) {
        n += loop.runNow();
      }
    }
    return n;
  }

  /**
   * Parks until signalled, the deadline or an interrupt; clears the signal.
   *
   * @param deadline a {@link System#nanoTime()} deadline, or {@link Long#MAX_VALUE} for none
   * @return false if the deadline has passed
   */
  boolean await(long deadline) {
    if (loops.length > 0) {
      return awaitRunning(deadline);
    }
    if (!signalled && spinNanos > 0) {
      long spinEnd = System.nanoTime() + spinNanos;
      while (!signalled
          && System.nanoTime() - spinEnd < 0
          && System.nanoTime() - deadline < 0
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

  private boolean awaitRunning(long deadline) {
    if (!signalled) {
      // a waiting owner runs every loop it owns, so the first stands for all
      loops[0].await(deadline, () -> signalled);
    }
    signalled = false;
    return deadline == Long.MAX_VALUE || deadline - System.nanoTime() > 0;
  }

  /**
   * Refuses to wait on an event loop thread: every socket on that loop would stall, and a wait for
   * its own loop would never end.
   */
  static void checkMayBlock(String what) {
    if (onEventLoop()) {
      throw new IllegalStateException(
          what
              + " would block the event loop thread "
              + Thread.currentThread().getName()
              + "; on an event loop use whenReady or Timeout.IMMEDIATE");
    }
  }

  static boolean onEventLoop() {
    return ThreadExecutorMap.currentExecutor() != null;
  }

  /**
   * The {@link System#nanoTime()} deadline of a timeout: {@link Long#MAX_VALUE} for none, the
   * present for zero or less (a deadline that has passed, not none).
   */
  static long deadline(long timeoutNanos) {
    if (timeoutNanos <= 0) {
      return System.nanoTime();
    }
    if (timeoutNanos == Long.MAX_VALUE) {
      return Long.MAX_VALUE;
    }
    long deadline = System.nanoTime() + timeoutNanos;
    // an overflowing deadline is as good as none
    return deadline - System.nanoTime() < 0 ? Long.MAX_VALUE : deadline;
  }
}
