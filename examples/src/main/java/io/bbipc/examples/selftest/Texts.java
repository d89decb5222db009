package io.bbipc.examples.selftest;

import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Words durations, exceptions and futures the way the table and the failures show them. */
final class Texts {
  /** Makes nothing: the class only holds functions. */
  private Texts() {}

  /** Returns a duration in seconds with one decimal, such as {@code 1.5 s}. */
  static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }

  /**
   * Returns the failure's message alone for a check's own verdict, class and message for others.
   */
  static String describe(Throwable t) {
    while ((t instanceof ExecutionException || t instanceof CompletionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof CheckFailure) {
      return t.getMessage();
    }
    StringBuilder b = new StringBuilder(t.getClass().getSimpleName());
    if (t.getMessage() != null) {
      b.append(": ").append(t.getMessage());
    }
    for (Throwable cause = t.getCause();
        cause != null && cause != cause.getCause();
        cause = cause.getCause()) {
      b.append("; caused by ").append(cause.getClass().getSimpleName());
      if (cause.getMessage() != null) {
        b.append(": ").append(cause.getMessage());
      }
    }
    return b.toString();
  }

  /** Returns how a future completed: its value, or why not. */
  static String outcome(CompletableFuture<?> future) {
    String failure = failure(future);
    return failure != null ? failure : "completed with " + future.getNow(null);
  }

  /** Returns why a completed future failed, or null if it did not. */
  static String failure(Future<?> future) {
    try {
      future.get(0, TimeUnit.NANOSECONDS);
      return null;
    } catch (ExecutionException e) {
      return describe(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    } catch (TimeoutException | RuntimeException e) {
      return describe(e);
    }
  }
}
