package io.bbipc;

import java.time.Duration;
import java.util.Objects;

/** How long a {@code poll}, {@code pollSockets} or {@code waitForEvents} call may wait. */
public final class Timeout {
  /** Do not wait: report what holds now. */
  public static final Timeout IMMEDIATE = new Timeout(0L);

  /** Wait until an event holds, the socket or poller is closed, or the thread is interrupted. */
  public static final Timeout INDEFINITE = new Timeout(-1L);

  /** Nanoseconds to wait; -1 for {@link #INDEFINITE}. */
  private final long nanos;

  private Timeout(long nanos) {
    this.nanos = nanos;
  }

  /**
   * Returns a timeout of a number of seconds, as the original's poll functions take it.
   *
   * @param seconds the time to wait, 0 or more; fractions are kept to the nanosecond
   * @return the timeout
   * @throws IllegalArgumentException if {@code seconds} is negative, NaN or infinite
   */
  public static Timeout seconds(double seconds) {
    if (!(seconds >= 0) || Double.isInfinite(seconds)) {
      throw new IllegalArgumentException(
          "timeout must be a finite number of seconds >= 0, was " + seconds);
    }
    double nanos = seconds * 1e9;
    return nanos >= Long.MAX_VALUE ? INDEFINITE : ofNanos((long) nanos);
  }

  /**
   * Returns a timeout of the given duration.
   *
   * @param duration the time to wait, zero or positive
   * @return the timeout
   * @throws IllegalArgumentException if {@code duration} is negative
   * @throws NullPointerException if {@code duration} is null
   */
  public static Timeout of(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative, was " + duration);
    }
    long nanos;
    try {
      nanos = duration.toNanos();
    } catch (ArithmeticException tooLong) {
      return INDEFINITE;
    }
    return ofNanos(nanos);
  }

  private static Timeout ofNanos(long nanos) {
    return nanos == 0 ? IMMEDIATE : new Timeout(nanos);
  }

  /**
   * Tells whether this timeout never expires.
   *
   * @return true for {@link #INDEFINITE}
   */
  public boolean isIndefinite() {
    return nanos < 0;
  }

  /**
   * Returns the time to wait in nanoseconds.
   *
   * @return the nanoseconds, or {@link Long#MAX_VALUE} when indefinite
   */
  public long toNanos() {
    return nanos < 0 ? Long.MAX_VALUE : nanos;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Timeout && ((Timeout) other).nanos == nanos;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(nanos);
  }

  @Override
  public String toString() {
    return nanos < 0 ? "Timeout.INDEFINITE" : "Timeout[" + Duration.ofNanos(nanos) + "]";
  }
}
