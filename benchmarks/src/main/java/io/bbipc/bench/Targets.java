package io.bbipc.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The targets' policy: which of a run's figures each target compares, against what limit, and
 * whether it is met; and whether the threaded runtime's earlier ratios stayed within the baseline
 * run's. The report only lays out what this decides, so a target can be changed here alone.
 */
final class Targets {
  /** The most an earlier target's ratio may move the wrong way against the baseline run. */
  static final double BASELINE_TOLERANCE = 0.05;

  /** The resource holding the baseline run's ratios; see its header. */
  static final String BASELINE = "baseline-targets.tsv";

  /**
   * One target, as a ratio from this run. {@code met} is null when a figure is missing; {@code
   * ratio} is the measured ratio, NaN where the figure is not one.
   */
  record Target(
      String what,
      String transport,
      String connection,
      String target,
      String measured,
      Boolean met,
      String beside,
      double ratio) {
    Target(
        String what,
        String transport,
        String connection,
        String target,
        String measured,
        Boolean met,
        String beside) {
      this(what, transport, connection, target, measured, met, beside, Double.NaN);
    }

    Target beside(String text) {
      return new Target(what, transport, connection, target, measured, met, text, ratio);
    }
  }

  /** An earlier target's ratio in the baseline run, against this run's. */
  record BaselineCheck(
      String what, String transport, String connection, String target, double before, double now) {
    /** Lower is better for a "≤" target, higher for a "≥" one. */
    boolean lowerIsBetter() {
      return target.startsWith("≤");
    }

    /** This run's ratio over the baseline's, so that above 1 is worse for a "≤" target. */
    double change() {
      return now / before;
    }

    Boolean within() {
      if (!Double.isFinite(now)) {
        return null;
      }
      return lowerIsBetter()
          ? now <= before * (1 + BASELINE_TOLERANCE)
          : now >= before * (1 - BASELINE_TOLERANCE);
    }
  }

  private final Results r;
  private final List<String> transports;
  private final List<String> parts;
  private final int[] pollerSizes;
  private final List<Target> t = new ArrayList<>();

  private Targets(Results r, List<String> transports, List<String> parts, int[] pollerSizes) {
    this.r = r;
    this.transports = transports;
    this.parts = parts;
    this.pollerSizes = pollerSizes;
  }

  /**
   * Every target of a run, in the report's order, the baseline summary last. {@code parts} are the
   * measurements asked for ({@code --only}); {@code pollerSizes} the poller's numbers of monitored
   * streams, smallest first.
   */
  static List<Target> judge(
      Results r, List<String> transports, List<String> parts, int[] pollerSizes) {
    Targets x = new Targets(r, transports, parts, pollerSizes);
    x.pinnedLatency();
    x.throughput();
    x.unpinnedLatency();
    x.systemCalls();
    x.poller();
    x.memory();
    x.t.add(baselineTarget(baselineChecks(x.t)));
    return x.t;
  }

  private void pinnedLatency() {
    for (Family f : Family.values()) {
      Results.LatencyRow jdk = r.latencyRow(true, Sys.JDK, Sys.NO_TRANSPORT, f);
      for (String tr : transports) {
        Results.LatencyRow sync = r.latencyRow(true, Sys.BBIPC_SYNC, tr, f);
        t.add(
            ratio("sync RTT ≤ 1.3 × JDK blocking RTT (pinned, p50)", tr, f, sync, jdk, 1.3, true));
      }
    }
    // judged on one transport, the one whose system calls are counted; the others are beside it
    String primary = Syscalls.transport(transports);
    for (Family f : Family.values()) {
      Results.LatencyRow jdk = r.latencyRow(true, Sys.JDK, Sys.NO_TRANSPORT, f);
      Target x =
          ratio(
              "caller-driven sync RTT ≤ 1.2 × JDK blocking RTT (pinned, p50)",
              primary,
              f,
              r.latencyRow(true, Sys.BBIPC_SYNC_CALLER, primary, f),
              jdk,
              1.2,
              true);
      List<String> others = new ArrayList<>();
      for (String tr : transports) {
        Results.LatencyRow cd = r.latencyRow(true, Sys.BBIPC_SYNC_CALLER, tr, f);
        if (!tr.equals(primary) && ok(cd) && ok(jdk)) {
          others.add(
              String.format(
                  Locale.ROOT,
                  "%s %.2f× (%.1f µs)",
                  tr,
                  (double) cd.p50() / jdk.p50(),
                  cd.p50() / 1e3));
        }
      }
      t.add(x.beside(others.isEmpty() ? "" : "other transports: " + String.join(", ", others)));
    }
    for (Family f : Family.values()) {
      for (String tr : transports) {
        t.add(
            ratio(
                "async RTT ≤ 1.2 × raw Netty RTT (pinned, p50)",
                tr,
                f,
                r.latencyRow(true, Sys.BBIPC_ASYNC, tr, f),
                r.latencyRow(true, Sys.NETTY, tr, f),
                1.2,
                true));
      }
    }
  }

  private void throughput() {
    for (Family f : Family.values()) {
      for (String tr : transports) {
        t.add(
            throughputRatio(
                "sync throughput ≥ 0.9 × raw Netty throughput",
                tr,
                f,
                throughputRow(Sys.BBIPC_SYNC, tr, f),
                throughputRow(Sys.NETTY, tr, f)));
      }
    }
    for (Family f : Family.values()) {
      Results.ThroughputRow jdk =
          Results.find(r.throughput, x -> x.sys() == Sys.JDK && x.family() == f);
      for (String tr : transports) {
        t.add(
            throughputRatio(
                "caller-driven sync throughput ≥ 0.9 × JDK blocking throughput",
                tr,
                f,
                throughputRow(Sys.BBIPC_SYNC_CALLER, tr, f),
                jdk));
      }
    }
  }

  private void unpinnedLatency() {
    for (Family f : Family.values()) {
      Results.LatencyRow jdk = r.latencyRow(false, Sys.JDK, Sys.NO_TRANSPORT, f);
      for (String tr : transports) {
        for (Sys sys : List.of(Sys.BBIPC_SYNC, Sys.BBIPC_SYNC_SPIN)) {
          Results.LatencyRow sync = r.latencyRow(false, sys, tr, f);
          Target x =
              ratio(
                  "unpinned "
                      + (sys == Sys.BBIPC_SYNC ? "sync (default, no spin)" : "sync + 50 µs spin")
                      + " p50 ≤ 0.5 × JDK blocking p50",
                  tr,
                  f,
                  sync,
                  jdk,
                  0.5,
                  true);
          t.add(x.beside(cpu(sync, jdk)));
        }
      }
    }
    for (Family f : Family.values()) {
      Results.LatencyRow jdk = r.latencyRow(false, Sys.JDK, Sys.NO_TRANSPORT, f);
      for (String tr : transports) {
        Results.LatencyRow busy = r.latencyRow(false, Sys.BBIPC_SYNC_CALLER_BUSY, tr, f);
        Target x =
            ratio(
                "unpinned sync, caller-driven + 50 µs busy poll p50 ≤ 0.5 × JDK blocking p50",
                tr,
                f,
                busy,
                jdk,
                0.5,
                true);
        t.add(x.beside(cpu(busy, jdk)));
      }
    }
  }

  private void systemCalls() {
    String primary = Syscalls.transport(transports);
    for (Family f : Family.values()) {
      String what = "caller-driven sync system calls per round trip ≤ 6 (JDK blocking: 4)";
      if (!parts.contains("syscalls") || r.syscallsNotMeasured != null) {
        t.add(
            new Target(
                what,
                primary,
                f.label,
                "≤ 6",
                "n/a (not measured: "
                    + (r.syscallsNotMeasured != null
                        ? r.syscallsNotMeasured
                        : "not asked for (--only)")
                    + ")",
                null,
                ""));
        continue;
      }
      Results.SyscallRow cd = r.syscallRow(Sys.BBIPC_SYNC_CALLER, f);
      Results.SyscallRow jdk = r.syscallRow(Sys.JDK, f);
      Results.SyscallRow threaded = r.syscallRow(Sys.BBIPC_SYNC, f);
      if (cd == null || cd.error() != null) {
        t.add(new Target(what, primary, f.label, "≤ 6", "n/a (not measured)", null, ""));
      } else {
        t.add(
            new Target(
                what,
                cd.transport(),
                f.label,
                "≤ 6",
                String.format(
                    Locale.ROOT,
                    "%.2f (JDK blocking %s, " + "threaded bbipc sync %s)",
                    cd.perRoundTrip(),
                    calls(jdk),
                    calls(threaded)),
                cd.perRoundTrip() <= 6,
                cd.breakdown(),
                cd.perRoundTrip()));
      }
    }
  }

  private void poller() {
    int small = pollerSizes[0];
    int big = pollerSizes[pollerSizes.length - 1];
    for (String tr : transports) {
      Results.PollerRow a =
          Results.find(r.poller, x -> x.transport().equals(tr) && x.monitored() == small);
      Results.PollerRow z =
          Results.find(r.poller, x -> x.transport().equals(tr) && x.monitored() == big);
      String what =
          String.format(
              Locale.ROOT, "waitForEvents with %,d monitored ≤ 1.5 × with %,d", big, small);
      if (a == null || z == null || a.error() != null || z.error() != null) {
        t.add(new Target(what, tr, "TCP loopback", "≤ 1.50×", "n/a (not measured)", null, ""));
      } else {
        double q = z.nanosPerCall() / a.nanosPerCall();
        t.add(
            new Target(
                what,
                tr,
                "TCP loopback",
                "≤ 1.50×",
                String.format(
                    Locale.ROOT, "%.2f× (%.0f / %.0f ns)", q, z.nanosPerCall(), a.nanosPerCall()),
                q <= 1.5,
                "",
                q));
      }
    }
  }

  private void memory() {
    for (String tr : transports) {
      Results.MemoryRow m =
          Results.find(r.memory, x -> x.sys() == Sys.BBIPC_SYNC && x.transport().equals(tr));
      String what = "heap + direct per idle connection ≤ 4 KiB";
      if (m == null || m.error() != null) {
        t.add(new Target(what, tr, "TCP loopback", "≤ 4,096 B", "n/a (not measured)", null, ""));
      } else {
        double bytes = m.heapPerConnection() + m.directPerConnection();
        t.add(
            new Target(
                what,
                tr,
                "TCP loopback",
                "≤ 4,096 B",
                String.format(
                    Locale.ROOT,
                    "%,.0f B (%,.0f heap + %,.0f direct)",
                    bytes,
                    m.heapPerConnection(),
                    m.directPerConnection()),
                bytes <= 4096,
                String.format(Locale.ROOT, "%,d connections", m.connections())));
      }
    }
  }

  /**
   * The threaded runtime's summary: met only when every baseline ratio was measured in this run and
   * all of them are within the tolerance; not measured when none of them was.
   */
  static Target baselineTarget(List<BaselineCheck> checks) {
    String what =
        String.format(
            Locale.ROOT,
            "threaded runtime: every earlier target's ratio at most %.0f %% worse "
                + "than in the baseline run",
            BASELINE_TOLERANCE * 100);
    long compared = checks.stream().filter(x -> x.within() != null).count();
    if (compared == 0) {
      return new Target(what, "all", "both", "all within", "n/a (none of them measured)", null, "");
    }
    long within = checks.stream().filter(x -> Boolean.TRUE.equals(x.within())).count();
    BaselineCheck worst =
        checks.stream()
            .filter(x -> x.within() != null)
            .max(Comparator.comparingDouble(x -> x.lowerIsBetter() ? x.change() : 1 / x.change()))
            .orElseThrow();
    return new Target(
        what,
        "all",
        "both",
        "all within",
        String.format(
            Locale.ROOT,
            "%d of %d within%s",
            within,
            compared,
            compared < checks.size()
                ? String.format(Locale.ROOT, " (%d not measured)", checks.size() - compared)
                : ""),
        within == compared && compared == checks.size(),
        String.format(
            Locale.ROOT,
            "worst: %s, %s, %s: %.2f× then, %.2f× now (see Earlier targets against "
                + "the baseline run)",
            worst.what(),
            worst.transport(),
            worst.connection(),
            worst.before(),
            worst.now()));
  }

  /** Every baseline ratio, with this run's ratio of the same target (NaN where it has none). */
  static List<BaselineCheck> baselineChecks(List<Target> targets) {
    return baselineChecks(targets, baselineLines());
  }

  /** As {@link #baselineChecks(List)}, against the lines of a baseline file. */
  static List<BaselineCheck> baselineChecks(List<Target> targets, List<String> baseline) {
    List<BaselineCheck> checks = new ArrayList<>();
    for (String line : baseline) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t");
      Target now =
          Results.find(
              targets,
              x ->
                  x.what().equals(f[0])
                      && x.transport().equals(f[1])
                      && x.connection().equals(f[2]));
      checks.add(
          new BaselineCheck(
              f[0],
              f[1],
              f[2],
              f[3],
              Double.parseDouble(f[4]),
              now == null || now.met() == null ? Double.NaN : now.ratio()));
    }
    return checks;
  }

  private static List<String> baselineLines() {
    try (InputStream in = Targets.class.getResourceAsStream(BASELINE)) {
      if (in == null) {
        throw new IllegalStateException(
            "resource " + BASELINE + " is missing from the benchmarks jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Results.ThroughputRow throughputRow(Sys sys, String transport, Family f) {
    return Results.find(
        r.throughput, x -> x.sys() == sys && x.transport().equals(transport) && x.family() == f);
  }

  private static Target ratio(
      String what,
      String transport,
      Family f,
      Results.LatencyRow num,
      Results.LatencyRow den,
      double limit,
      boolean atMost) {
    String target = (atMost ? "≤ " : "≥ ") + String.format(Locale.ROOT, "%.2f×", limit);
    if (!ok(num) || !ok(den)) {
      return new Target(what, transport, f.label, target, "n/a (not measured)", null, "");
    }
    double q = (double) num.p50() / den.p50();
    return new Target(
        what,
        transport,
        f.label,
        target,
        String.format(Locale.ROOT, "%.2f× (%.1f / %.1f µs)", q, num.p50() / 1e3, den.p50() / 1e3),
        atMost ? q <= limit : q >= limit,
        "",
        q);
  }

  /** Both throughput targets: at least 0.9 of the other system's GiB/s. */
  private static Target throughputRatio(
      String what,
      String transport,
      Family f,
      Results.ThroughputRow num,
      Results.ThroughputRow den) {
    if (!ok(num) || !ok(den)) {
      return new Target(what, transport, f.label, "≥ 0.90×", "n/a (not measured)", null, "");
    }
    double q = num.gibPerSecond() / den.gibPerSecond();
    return new Target(
        what,
        transport,
        f.label,
        "≥ 0.90×",
        String.format(
            Locale.ROOT, "%.2f× (%.2f / %.2f GiB/s)", q, num.gibPerSecond(), den.gibPerSecond()),
        q >= 0.9,
        "",
        q);
  }

  /** The CPU beside an unpinned latency target: a spin or busy poll may buy its time with CPU. */
  private static String cpu(Results.LatencyRow bbipc, Results.LatencyRow jdk) {
    return ok(bbipc) && ok(jdk)
        ? String.format(
            Locale.ROOT,
            "CPU per round trip: bbipc %.1f µs, JDK %.1f µs (all Java threads)",
            bbipc.cpuPerRtt() / 1e3,
            jdk.cpuPerRtt() / 1e3)
        : "";
  }

  private static String calls(Results.SyscallRow x) {
    return x == null || x.error() != null
        ? "n/a"
        : String.format(Locale.ROOT, "%.2f", x.perRoundTrip());
  }

  private static boolean ok(Results.LatencyRow x) {
    return x != null && x.error() == null;
  }

  private static boolean ok(Results.ThroughputRow x) {
    return x != null && x.error() == null;
  }
}
