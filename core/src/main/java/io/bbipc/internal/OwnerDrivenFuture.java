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
    drive(Long.MAX_VALUE);
    return super.get();
  }

  @Override
  public T get(long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = Waiter.deadline(unit.toNanos(timeout));
    drive(deadline);
    long left =
        deadline == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, deadline - System.nanoTime());
    return super.get(left, TimeUnit.NANOSECONDS);
  }

  @Override
  public T join() {
    drive(Long.MAX_VALUE);
    return super.join();
  }

  /** The owner runs the loop until done, the deadline or an interrupt; other threads just wait. */
  private void drive(long deadline) {
    if (isDone() || !loop.inEventLoop()) {
      return;
    }
    if (loop.isRunning()) {
      throw new IllegalStateException(
          "waiting for a whenReady future inside a handler or"
              + " continuation that the caller-driven runtime runs would never end; chain on it instead");
    }
    while (!isDone()
        && !Thread.currentThread().isInterrupted()
        && (deadline == Long.MAX_VALUE || deadline - System.nanoTime() > 0)) {
      loop.await(deadline, this::isDone);
    }
  }
}
