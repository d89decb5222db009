package io.bbipc.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/** Everything one run measured, and what went wrong where something did. */
final class Results {
  final List<LatencyRow> latency = new ArrayList<>();
  final List<ThroughputRow> throughput = new ArrayList<>();
  final List<PollerRow> poller = new ArrayList<>();
  final List<MemoryRow> memory = new ArrayList<>();
  final List<ConnectRow> connect = new ArrayList<>();
  final List<WhenReadyRow> whenReady = new ArrayList<>();
  final List<SyscallRow> syscalls = new ArrayList<>();

  /** Why system calls were not counted (strace missing), or null. */
  String syscallsNotMeasured;

  /** Things a reader must know to trust the figures: fallbacks, skipped passes, loads. */
  final List<String> notes = new ArrayList<>();

  /** One system's 64-byte round trips; {@code error} is null when it ran. */
  record LatencyRow(
      boolean pinned,
      Sys sys,
      String transport,
      Family family,
      int count,
      double mean,
      long p50,
      long p99,
      long p999,
      double cpuPerRtt,
      String error) {
    String toTsv() {
      return String.join(
          "\t",
          "latency",
          Boolean.toString(pinned),
          sys.key(),
          transport,
          family.key(),
          Integer.toString(count),
          Double.toString(mean),
          Long.toString(p50),
          Long.toString(p99),
          Long.toString(p999),
          Double.toString(cpuPerRtt),
          error == null ? "" : clean(error));
    }

    static LatencyRow fromTsv(String line) {
      String[] f = line.split("\t", -1);
      return new LatencyRow(
          Boolean.parseBoolean(f[1]),
          Sys.parse(f[2]),
          f[3],
          Family.parse(f[4]),
          Integer.parseInt(f[5]),
          Double.parseDouble(f[6]),
          Long.parseLong(f[7]),
          Long.parseLong(f[8]),
          Long.parseLong(f[9]),
          Double.parseDouble(f[10]),
          f[11].isEmpty() ? null : f[11]);
    }
  }

  /**
   * System calls per round trip of one system under {@code strace -f -c}, every thread of the JVM
   * counted; {@code breakdown} names those of at least 0.05 per round trip.
   */
  record SyscallRow(
      Sys sys,
      String transport,
      Family family,
      int roundTrips,
      double perRoundTrip,
      String breakdown,
      String error) {}

  /** One-direction streaming; {@code gibPerSecond} from the mean JMH single-shot time. */
  record ThroughputRow(
      Sys sys,
      String transport,
      Family family,
      long bytes,
      double gibPerSecond,
      double secondsPerTransfer,
      double errorSeconds,
      String error) {}

  /** One waitForEvents with one ready socket among {@code monitored}. */
  record PollerRow(
      String transport, int monitored, double nanosPerCall, double errorNanos, String error) {}

  /** Bytes per idle connection: heap and direct as measured, and the process's RSS growth. */
  record MemoryRow(
      Sys sys,
      String transport,
      int connections,
      double heapPerConnection,
      double directPerConnection,
      double rssPerConnection,
      String error) {}

  /** Sequential connect + accept + close of both ends. */
  record ConnectRow(
      Sys sys, String transport, Family family, int count, double perSecond, String error) {}

  /**
   * One run of many whenReady futures on one stream: registering them, completing them, and the
   * round trips of another stream on the same event loop (their worst while completing and while
   * registering, their median with the loop otherwise idle).
   */
  record WhenReadyRun(
      double registerMillis,
      double completeMillis,
      double worstRttCompletingMillis,
      int roundTripsCompleting,
      double worstRttRegisteringMillis,
      double idleMedianRttMicros) {}

  /** Every kept run of one transport and number of futures; {@code error} is null when they ran. */
  record WhenReadyRow(String transport, int futures, List<WhenReadyRun> runs, String error) {
    /**
     * The median over the runs of one figure (the lower middle one for an even count); NaN if none.
     */
    double median(java.util.function.ToDoubleFunction<WhenReadyRun> figure) {
      double[] v = runs.stream().mapToDouble(figure).filter(Double::isFinite).sorted().toArray();
      return v.length == 0 ? Double.NaN : v[(v.length - 1) / 2];
    }

    double min(java.util.function.ToDoubleFunction<WhenReadyRun> figure) {
      return runs.stream().mapToDouble(figure).filter(Double::isFinite).min().orElse(Double.NaN);
    }

    double max(java.util.function.ToDoubleFunction<WhenReadyRun> figure) {
      return runs.stream().mapToDouble(figure).filter(Double::isFinite).max().orElse(Double.NaN);
    }
  }

  /** The latency row of one system, pass, transport and connection; null if there is none. */
  LatencyRow latencyRow(boolean pinned, Sys sys, String transport, Family f) {
    return find(
        latency,
        x ->
            x.pinned() == pinned
                && x.sys() == sys
                && x.transport().equals(transport)
                && x.family() == f);
  }

  /** The system call row of one system and connection; null if there is none. */
  SyscallRow syscallRow(Sys sys, Family f) {
    return find(syscalls, x -> x.sys() == sys && x.family() == f);
  }

  /** The first row that matches; null if none does. */
  static <T> T find(List<T> rows, Predicate<T> p) {
    for (T t : rows) {
      if (p.test(t)) {
        return t;
      }
    }
    return null;
  }

  static String describe(Throwable e) {
    String s = e.getClass().getSimpleName() + ": " + e.getMessage();
    return clean(s);
  }

  static String clean(String s) {
    return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ').replace('|', '/');
  }

  boolean anyFailed() {
    return latency.stream().anyMatch(r -> r.error() != null)
        || throughput.stream().anyMatch(r -> r.error() != null)
        || poller.stream().anyMatch(r -> r.error() != null)
        || memory.stream().anyMatch(r -> r.error() != null)
        || connect.stream().anyMatch(r -> r.error() != null)
        || whenReady.stream().anyMatch(r -> r.error() != null)
        || syscalls.stream().anyMatch(r -> r.error() != null);
  }

  List<String> failures() {
    List<String> f = new ArrayList<>();
    latency.stream()
        .filter(r -> r.error() != null)
        .forEach(
            r ->
                f.add(
                    String.format(
                        Locale.ROOT,
                        "latency %s %s %s: %s",
                        r.pinned() ? "pinned" : "unpinned",
                        r.sys().label(r.transport()),
                        r.family().label,
                        r.error())));
    throughput.stream()
        .filter(r -> r.error() != null)
        .forEach(
            r ->
                f.add(
                    "throughput "
                        + r.sys().label(r.transport())
                        + " "
                        + r.family().label
                        + ": "
                        + r.error()));
    poller.stream()
        .filter(r -> r.error() != null)
        .forEach(r -> f.add("poller " + r.transport() + " " + r.monitored() + ": " + r.error()));
    memory.stream()
        .filter(r -> r.error() != null)
        .forEach(r -> f.add("memory " + r.sys().label(r.transport()) + ": " + r.error()));
    connect.stream()
        .filter(r -> r.error() != null)
        .forEach(
            r ->
                f.add(
                    "connection rate "
                        + r.sys().label(r.transport())
                        + " "
                        + r.family().label
                        + ": "
                        + r.error()));
    whenReady.stream()
        .filter(r -> r.error() != null)
        .forEach(
            r ->
                f.add(
                    String.format(
                        Locale.ROOT,
                        "whenReady %,d futures %s: %s",
                        r.futures(),
                        r.transport(),
                        r.error())));
    syscalls.stream()
        .filter(r -> r.error() != null)
        .forEach(
            r ->
                f.add(
                    "system calls "
                        + r.sys().label(r.transport())
                        + " "
                        + r.family().label
                        + ": "
                        + r.error()));
    return f;
  }

  static void writeLatency(Path file, List<LatencyRow> rows) throws IOException {
    List<String> lines = new ArrayList<>();
    for (LatencyRow r : rows) {
      lines.add(r.toTsv());
    }
    Files.write(file, lines, StandardCharsets.UTF_8);
  }

  static List<LatencyRow> readLatency(Path file) throws IOException {
    List<LatencyRow> rows = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.startsWith("latency\t")) {
        rows.add(LatencyRow.fromTsv(line));
      }
    }
    return rows;
  }
}
