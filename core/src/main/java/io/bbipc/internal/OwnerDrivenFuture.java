package io.bbipc.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@code whenReady} future of a caller-driven runtime, and every stage made from it: the runtime
 * completes it only inside the owner's calls, so the owner waiting on it runs the loop meanwhile
 * instead of waiting forever, and another thread that completes it (a cancel, a timeout, an async
 * stage's executor) wakes the owner out of its transport's wait.
 *
 * @param <T> the result type
 */
final class OwnerDrivenFuture<T> extends CompletableFuture<T> {
  private final CallerDrivenLoop loop;

  /** Whether a completion wakes the loop; set once, by the owner's first wait. */
  private boolean wakesOwner;

  OwnerDrivenFuture(CallerDrivenLoop loop) {
    this.loop = loop;
  }

  @Override
  public <U> CompletableFuture<U> newIncompleteFuture() {
    return new OwnerDrivenFuture<>(loop);
  }

  @Override
  public T get() throws InterruptedException, ExecutionException {
    if (mayDrive()) {
      drive(Long.MAX_VALUE, true);
    }
    return super.get();
  }

  @Override
  public T get(long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    if (!mayDrive()) {
      return super.get(timeout, unit);
    }
    long deadline = Waiter.deadline(unit.toNanos(timeout));
    drive(deadline, true);
    long left =
        deadline == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, deadline - System.nanoTime());
    return super.get(left, TimeUnit.NANOSECONDS);
  }

  /** Runs the loop through interrupts, as {@code CompletableFuture.join} waits through them. */
  @Override
  public T join() {
    if (mayDrive()) {
      drive(Long.MAX_VALUE, false);
    }
    return super.join();
  }

  /** Whether the caller is the owner, which must run the loop itself while it waits. */
  private boolean mayDrive() {
    if (isDone() || !loop.inEventLoop()) {
      return false;
    }
    if (loop.isRunning()) {
      throw new IllegalStateException(
          "waiting for a whenReady future inside a handler or"
              + " continuation that the caller-driven runtime runs would never end; chain on it instead");
    }
    return true;
  }

  /**
   * Owner: runs the loop until done or the deadline, looking at least once (a past deadline still
   * takes in what the kernel holds). A stopped loop completes nothing more: then the caller waits
   * as any thread would, rather than spinning here. An interrupt ends it when {@code
   * interruptible}; otherwise the flag is cleared while the loop runs, since the transport's wait
   * returns at once while it is set, and set again before this returns.
   */
  private void drive(long deadline, boolean interruptible) {
    if (!wakesOwner) {
      wakesOwner = true;
      // a completion on the owner itself needs no wake-up; wakeup() does nothing there
      whenComplete((r, t) -> loop.wakeup());
    }
    boolean interrupted = false;
    try {
      do {
        if (Thread.currentThread().isInterrupted()) {
          if (interruptible) {
            return;
          }
          interrupted |= Thread.interrupted();
        }
        loop.await(deadline, this::isDone);
      } while (!isDone()
          && !loop.isTerminated()
          && (deadline == Long.MAX_VALUE || deadline - System.nanoTime() > 0));
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
