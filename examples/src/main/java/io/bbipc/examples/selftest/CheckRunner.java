package io.bbipc.examples.selftest;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs checks on threads of the pool, each under its timeout and all under the run's budget. */
final class CheckRunner {
  /** A check whose own waits all gave up still needs a moment to say so and clean up. */
  private static final Duration GRACE = Duration.ofSeconds(1);

  private final ExecutorService pool;
  private final Duration checkTimeout;
  private final Duration budget;
  private final long budgetEnd;

  /** Makes a runner of checks that may each take {@code checkTimeout}, all {@code budget}. */
  CheckRunner(ExecutorService pool, Duration checkTimeout, Duration budget, long start) {
    this.pool = pool;
    this.checkTimeout = checkTimeout;
    this.budget = budget;
    this.budgetEnd = start + budget.toNanos();
  }

  /** Returns whether the run's budget is spent. */
  boolean timeIsUp() {
    return System.nanoTime() - budgetEnd >= 0;
  }

  /** Returns the verdict of a check the budget left no time for. */
  Result notRun() {
    return Result.failed("not run: time's up (" + Texts.seconds(budget.toNanos()) + ")");
  }

  /** Runs one check on a thread of the pool, giving up on it, not waiting, at its deadline. */
  Result run(Check check, Row row) {
    long now = System.nanoTime();
    long left = budgetEnd - now;
    if (left <= 0) {
      return notRun();
    }
    long limit = Math.min(checkTimeout.toNanos(), left);
    long deadline = now + limit;
    Future<Result> running =
        pool.submit(
            () -> {
              try (Probe probe = new Probe(row, deadline)) {
                return check.run(probe);
              }
            });
    long patience = limit + GRACE.toNanos();
    try {
      return running.get(patience, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      running.cancel(true);
      return Result.failed("did not finish within " + Texts.seconds(patience));
    } catch (ExecutionException e) {
      return Result.failed(Texts.describe(e.getCause()));
    } catch (InterruptedException e) {
      running.cancel(true);
      Thread.currentThread().interrupt();
      return Result.failed("the selftest was interrupted");
    }
  }
}
