package io.bbipc.bench;

/**
 * How much of everything one run does. The full sizes keep the whole comparison under ten minutes
 * on two cores with three transports; the smoke sizes only prove every code path runs.
 */
final class Settings {
  final boolean smoke;
  final long latencyWarmupNanos;
  final long latencyMeasureNanos;

  /**
   * Round trips per hand-over between the measuring thread and an event-loop-driven client: the
   * clock is checked between batches only, and the hand-over's wake-up lands in one round trip per
   * batch at most.
   */
  final int latencyBatch;

  final long streamBytes;
  final int streamWarmups;
  final int streamMeasurements;
  final int[] pollerSizes;
  final int pollerWarmups;
  final int pollerIterations;
  final int pollerIterationMillis;
  final int idleConnections;
  final long connectMeasureNanos;
  final int connectMaxCount;
  final int jmhForks;

  /** Outstanding whenReady futures on one stream, one row each. */
  final int[] whenReadySizes;

  /** Kept runs per row, after one that warms up; the table shows their median and range. */
  final int whenReadyRuns;

  /** The other stream's round trips with nothing else on the loop, before each run's futures. */
  final long whenReadyIdleNanos;

  /** Round trips before the counted ones in each child run under strace. */
  final int syscallWarmup;

  /** N: the children under strace run N and 2N round trips after the warm-up. */
  final int syscallRoundTrips;

  private Settings(boolean smoke) {
    this.smoke = smoke;
    if (smoke) {
      latencyWarmupNanos = 10_000_000L;
      latencyMeasureNanos = 20_000_000L;
      latencyBatch = 100;
      streamBytes = 4L << 20;
      streamWarmups = 0;
      streamMeasurements = 1;
      pollerSizes = new int[] {10, 100};
      pollerWarmups = 1;
      pollerIterations = 1;
      pollerIterationMillis = 10;
      idleConnections = 200;
      connectMeasureNanos = 20_000_000L;
      connectMaxCount = 100;
      // in-process: forking a JVM per benchmark would not fit a five-second budget
      jmhForks = 0;
      whenReadySizes = new int[] {1_000};
      whenReadyRuns = 1;
      whenReadyIdleNanos = 10_000_000L;
      syscallWarmup = 200;
      syscallRoundTrips = 500;
    } else {
      // pinned, the JIT shares the one CPU: a shorter warm-up left compilation in the measured
      // window (0.04 % of round trips over 500 µs for the first 50,000 after it, 0.01 % later)
      latencyWarmupNanos = 2_000_000_000L;
      latencyMeasureNanos = 3_000_000_000L;
      latencyBatch = 2_000;
      streamBytes = 1L << 30;
      streamWarmups = 2;
      streamMeasurements = 4;
      pollerSizes = new int[] {10, 1_000, 10_000};
      pollerWarmups = 3;
      pollerIterations = 5;
      pollerIterationMillis = 400;
      idleConnections = 10_000;
      connectMeasureNanos = 1_500_000_000L;
      connectMaxCount = 20_000;
      jmhForks = 1;
      whenReadySizes = new int[] {10_000, 100_000};
      whenReadyRuns = 3;
      whenReadyIdleNanos = 200_000_000L;
      syscallWarmup = 5_000;
      syscallRoundTrips = 20_000;
    }
  }

  static Settings of(boolean smoke) {
    return new Settings(smoke);
  }
}
