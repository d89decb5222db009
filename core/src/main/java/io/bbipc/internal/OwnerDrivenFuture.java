package io.bbipc.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@code whenReady} future of a caller-driven runtime, and every stage made from it: nothing
 * completes it but the owner's calls, so the owner waiting on it runs the loop meanwhile instead of
 * waiting forever.
 *
 * @param <T> the result type
 */
final class OwnerDrivenFuture<T> extends CompletableFuture<T> {
  private final CallerDrivenLoop loop;

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
      drive(Long.MAX_VALUE);
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
    drive(deadline);
    long left =
        deadline == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, deadline - System.nanoTime());
    return super.get(left, TimeUnit.NANOSECONDS);
  }

  @Override
  public T join() {
    if (mayDrive()) {
      drive(Long.MAX_VALUE);
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
   * Owner: runs the loop until done, the deadline or an interrupt, looking at least once (a past
   * deadline still takes in what the kernel holds). A stopped loop completes nothing more: then the
   * caller waits as any thread would, rather than spinning here.
   */
  private void drive(long deadline) {
    do {
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
      loop.await(deadline, this::isDone);
    } while (!isDone()
        && !loop.isTerminated()
        && (deadline == Long.MAX_VALUE || deadline - System.nanoTime() > 0));
  }
}
