package io.bbipc.bench;

import org.HdrHistogram.Histogram;

/**
 * The figures the report gives of recorded nanosecond latencies, read from an HdrHistogram. It
 * holds any number of round trips in a few hundred KiB, where a sorted array needed 8 bytes each
 * and so a cap on their number.
 */
final class Stats {
  /**
   * Three significant digits: a percentile is within 0.1 % of the round trip it stands for (about
   * 20 ns at 20 µs), well under what one run's figures move between runs.
   */
  static final int DIGITS = 3;

  final int count;
  final double mean;
  final long p50;
  final long p99;
  final long p999;

  private Stats(int count, double mean, long p50, long p99, long p999) {
    this.count = count;
    this.mean = mean;
    this.p50 = p50;
    this.p99 = p99;
    this.p999 = p999;
  }

  /**
   * A histogram for nanoseconds from 1 up. It resizes itself: a stall of any length is recorded
   * rather than thrown on, and until then it stays as small as the longest round trip allows.
   */
  static Histogram histogram() {
    return new Histogram(DIGITS);
  }

  /**
   * Mean and percentiles. HdrHistogram's percentile is the nearest rank, as the sorted array's was:
   * the smallest recorded value with at least that share of all at or below it (given as the
   * highest value its bucket holds, so at most 0.1 % high).
   */
  static Stats of(Histogram h) {
    if (h.getTotalCount() == 0) {
      throw new IllegalArgumentException("no samples");
    }
    return new Stats(
        Math.toIntExact(h.getTotalCount()),
        h.getMean(),
        h.getValueAtPercentile(50),
        h.getValueAtPercentile(99),
        h.getValueAtPercentile(99.9));
  }

  /** The median of a few recorded nanosecond durations, as for round trips; NaN if none. */
  static double median(long[] nanos) {
    if (nanos.length == 0) {
      return Double.NaN;
    }
    Histogram h = histogram();
    for (long n : nanos) {
      h.recordValue(n);
    }
    return h.getValueAtPercentile(50);
  }
}
