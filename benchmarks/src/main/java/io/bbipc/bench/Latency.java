package io.bbipc.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The hand-written ping-pong harness: warm up for a while, then record every round trip's
 * nanoTime delta in an array and sort it. Round trips are run in batches so the clock can be
 * checked without timing the check.
 */
final class Latency {
  private Latency() {
  }

  static List<Results.LatencyRow> runAll(Settings settings, List<String> transports, boolean pinned,
                                         Progress progress) {
    List<Results.LatencyRow> rows = new ArrayList<>();
    long[] samples = new long[settings.latencyMaxSamples];
    for (Family family : Family.values()) {
      rows.add(one(settings, samples, Sys.JDK, Sys.NO_TRANSPORT, family, pinned, progress));
      for (String t : transports) {
        for (Sys sys : systems(pinned)) {
          rows.add(one(settings, samples, sys, t, family, pinned, progress));
        }
      }
    }
    return rows;
  }

  /**
   * The systems with a transport, in table order; the spinning and busy-polling facades only
   * where they can help (on one CPU a spin only delays the peer).
   */
  static List<Sys> systems(boolean pinned) {
    return pinned ? List.of(Sys.BBIPC_SYNC, Sys.BBIPC_SYNC_CALLER, Sys.BBIPC_ASYNC, Sys.NETTY)
        : List.of(Sys.BBIPC_SYNC, Sys.BBIPC_SYNC_SPIN, Sys.BBIPC_SYNC_CALLER, Sys.BBIPC_SYNC_CALLER_BUSY,
            Sys.BBIPC_ASYNC, Sys.NETTY);
  }

  static Results.LatencyRow one(Settings settings, long[] samples, Sys sys, String transport,
                                Family family, boolean pinned, Progress progress) {
    String what = "latency " + (pinned ? "pinned" : "unpinned") + " " + sys.label(transport) + " " + family.label;
    progress.start(what);
    try (PingPong pp = PingPong.open(sys, transport, family)) {
      long end = System.nanoTime() + settings.latencyWarmupNanos;
      while (System.nanoTime() < end) {
        pp.run(samples, 0, Math.min(settings.latencyBatch, samples.length));
      }
      int n = 0;
      java.util.Map<Long, Long> cpu0 = Cpu.snapshot();
      end = System.nanoTime() + settings.latencyMeasureNanos;
      while (System.nanoTime() < end && n < samples.length) {
        int batch = Math.min(settings.latencyBatch, samples.length - n);
        pp.run(samples, n, batch);
        n += batch;
      }
      long cpu = Cpu.since(cpu0);
      Stats s = Stats.of(samples, n);
      Results.LatencyRow row = new Results.LatencyRow(pinned, sys, transport, family, s.count, s.mean,
          s.p50, s.p99, s.p999, (double) cpu / n, null);
      progress.done(String.format("p50 %.1f µs", s.p50 / 1e3));
      return row;
    } catch (Exception | AssertionError e) {
      progress.failed(e);
      return new Results.LatencyRow(pinned, sys, transport, family, 0, Double.NaN, 0, 0, 0, Double.NaN,
          Results.describe(e));
    }
  }
}
