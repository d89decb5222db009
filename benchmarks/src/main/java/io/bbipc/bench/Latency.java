package io.bbipc.bench;

import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * The hand-written ping-pong harness: warm up for a while, then record every round trip's nanoTime
 * delta in an HdrHistogram and read the percentiles from it. Round trips are run in batches so the
 * clock can be checked without timing the check.
 */
final class Latency {
  private Latency() {}

  static List<Results.LatencyRow> runAll(
      Settings settings, List<String> transports, boolean pinned, Progress progress) {
    List<Results.LatencyRow> rows = new ArrayList<>();
    for (Family family : Family.values()) {
      rows.add(one(settings, Sys.JDK, Sys.NO_TRANSPORT, family, pinned, progress));
      for (String t : transports) {
        for (Sys sys : systems(pinned)) {
          rows.add(one(settings, sys, t, family, pinned, progress));
        }
      }
    }
    return rows;
  }

  /**
   * The systems with a transport, in table order; the spinning and busy-polling facades only where
   * they can help (on one CPU a spin only delays the peer).
   */
  static List<Sys> systems(boolean pinned) {
    return pinned
        ? List.of(Sys.BBIPC_SYNC, Sys.BBIPC_SYNC_CALLER, Sys.BBIPC_ASYNC, Sys.NETTY)
        : List.of(
            Sys.BBIPC_SYNC,
            Sys.BBIPC_SYNC_SPIN,
            Sys.BBIPC_SYNC_CALLER,
            Sys.BBIPC_SYNC_CALLER_BUSY,
            Sys.BBIPC_ASYNC,
            Sys.NETTY);
  }

  static Results.LatencyRow one(
      Settings settings,
      Sys sys,
      String transport,
      Family family,
      boolean pinned,
      Progress progress) {
    String what =
        "latency "
            + (pinned ? "pinned" : "unpinned")
            + " "
            + sys.label(transport)
            + " "
            + family.label;
    progress.start(what);
    try (PingPong pp = PingPong.open(sys, transport, family)) {
      Histogram latencies = Stats.histogram();
      int round = 0;
      long end = System.nanoTime() + settings.latencyWarmupNanos;
      while (System.nanoTime() < end) {
        pp.run(latencies, round, settings.latencyBatch);
        round += settings.latencyBatch;
      }
      // the warm-up ran the measured code, recording included, so the JIT compiled all of it;
      // its own figures are dropped
      latencies.reset();
      java.util.Map<Long, Long> cpu0 = Cpu.snapshot();
      end = System.nanoTime() + settings.latencyMeasureNanos;
      while (System.nanoTime() < end) {
        pp.run(latencies, round, settings.latencyBatch);
        round += settings.latencyBatch;
      }
      long cpu = Cpu.since(cpu0);
      Stats s = Stats.of(latencies);
      Results.LatencyRow row =
          new Results.LatencyRow(
              pinned,
              sys,
              transport,
              family,
              s.count,
              s.mean,
              s.p50,
              s.p99,
              s.p999,
              (double) cpu / s.count,
              null);
      progress.done(String.format("p50 %.1f µs", s.p50 / 1e3));
      return row;
    } catch (Exception | AssertionError e) {
      progress.failed(e);
      return new Results.LatencyRow(
          pinned, sys, transport, family, 0, Double.NaN, 0, 0, 0, Double.NaN, Results.describe(e));
    }
  }
}
