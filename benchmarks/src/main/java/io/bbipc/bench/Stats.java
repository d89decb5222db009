package io.bbipc.bench;

import java.util.Arrays;

/** Mean and nearest-rank percentiles of recorded nanosecond samples, by sorting a copy. */
final class Stats {
  final int count;
  final double mean;
  final long p50;
  final long p99;
  final long p999;
  final long max;

  private Stats(int count, double mean, long p50, long p99, long p999, long max) {
    this.count = count;
    this.mean = mean;
    this.p50 = p50;
    this.p99 = p99;
    this.p999 = p999;
    this.max = max;
  }

  static Stats of(long[] samples, int count) {
    if (count == 0) {
      throw new IllegalArgumentException("no samples");
    }
    long[] sorted = Arrays.copyOf(samples, count);
    Arrays.sort(sorted);
    double sum = 0;
    for (long s : sorted) {
      sum += s;
    }
    return new Stats(count, sum / count, rank(sorted, 0.50), rank(sorted, 0.99), rank(sorted, 0.999),
        sorted[count - 1]);
  }

  /** The smallest sample with at least {@code q} of all samples at or below it. */
  static long rank(long[] sorted, double q) {
    int index = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
