package io.bbipc.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * System calls per 64-byte round trip, counted by {@code strace -f -c} over a child JVM that runs
 * the latency harness's ping-pong ({@link PingPong}) of one system and nothing else. Every thread
 * of the process is counted (both ends, event loops, and also the JVM's own: JIT, GC, startup), so
 * each system is run twice, with the same warm-up and then N and 2N measured round trips; the
 * difference of the two counts, divided by N, is the cost of one round trip with the JVM's startup
 * and warm-up taken out.
 *
 * <p>As a main class: {@code Syscalls SYSTEM TRANSPORT FAMILY WARMUP ROUND_TRIPS} runs that many
 * round trips and exits, printing {@code ok} when they ran.
 */
final class Syscalls {
  /** Below this many calls per round trip a system call is left out of the breakdown. */
  private static final double SHOWN = 0.05;

  private Syscalls() {}

  /**
   * The systems counted: the JDK's blocking reference, the threaded runtime and the caller-driven
   * one.
   */
  static final List<Sys> SYSTEMS = List.of(Sys.JDK, Sys.BBIPC_SYNC, Sys.BBIPC_SYNC_CALLER);

  /** The transport counted: epoll where it runs, else the best available one. */
  static String transport(List<String> transports) {
    return transports.contains("epoll")
        ? "epoll"
        : transports.isEmpty() ? "nio" : transports.get(0);
  }

  static List<Results.SyscallRow> runAll(
      Settings settings, List<String> transports, Path logs, Progress progress) {
    List<Results.SyscallRow> rows = new ArrayList<>();
    String transport = transport(transports);
    Path strace = Machine.executable("strace");
    if (strace == null) {
      // no rows: the report says "not measured" and why (Results.syscallsNotMeasured)
      return rows;
    }
    for (Family f : Family.values()) {
      for (Sys sys : SYSTEMS) {
        rows.add(
            one(
                settings,
                strace,
                sys,
                sys.usesTransport() ? transport : Sys.NO_TRANSPORT,
                f,
                logs,
                progress));
      }
    }
    return rows;
  }

  private static Results.SyscallRow one(
      Settings settings,
      Path strace,
      Sys sys,
      String transport,
      Family f,
      Path logs,
      Progress progress) {
    int n = settings.syscallRoundTrips;
    progress.start(
        String.format(
            Locale.ROOT,
            "system calls %s %s: strace -f -c, %,d and %,d round trips",
            sys.label(transport),
            f.label,
            n,
            2 * n));
    try {
      Map<String, Long> once = count(settings, strace, sys, transport, f, n, logs);
      Map<String, Long> twice = count(settings, strace, sys, transport, f, 2 * n, logs);
      double total =
          (twice.getOrDefault("total", 0L) - once.getOrDefault("total", 0L)) / (double) n;
      Set<String> names = new HashSet<>(once.keySet());
      names.addAll(twice.keySet());
      names.remove("total");
      Map<String, Double> per = new LinkedHashMap<>();
      names.stream()
          .map(
              s ->
                  Map.entry(s, (twice.getOrDefault(s, 0L) - once.getOrDefault(s, 0L)) / (double) n))
          .filter(e -> e.getValue() >= SHOWN)
          .sorted(
              Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder())
                  .thenComparing(Map.Entry.comparingByKey()))
          .forEach(e -> per.put(e.getKey(), e.getValue()));
      List<String> parts = new ArrayList<>();
      per.forEach((k, v) -> parts.add(String.format(Locale.ROOT, "%s %.2f", k, v)));
      progress.done(String.format(Locale.ROOT, "%.2f per round trip", total));
      return new Results.SyscallRow(sys, transport, f, n, total, String.join(", ", parts), null);
    } catch (Exception e) {
      progress.failed(e);
      return new Results.SyscallRow(sys, transport, f, n, Double.NaN, "", Results.describe(e));
    }
  }

  /**
   * Runs the child under strace and returns its summary: calls per system call name, and "total".
   */
  private static Map<String, Long> count(
      Settings settings,
      Path strace,
      Sys sys,
      String transport,
      Family f,
      int roundTrips,
      Path logs)
      throws IOException, InterruptedException {
    Path summary = Files.createTempFile("bbipc-strace", ".txt");
    Path log =
        logs.resolve(
            "syscalls-" + sys.key() + "-" + transport + "-" + f.key() + "-" + roundTrips + ".log");
    try {
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  strace.toString(),
                  "-f",
                  "-c",
                  "-o",
                  summary.toString(),
                  Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
      cmd.addAll(
          List.of(
              "-cp",
              System.getProperty("java.class.path"),
              Syscalls.class.getName(),
              sys.key(),
              transport,
              f.key(),
              Integer.toString(settings.syscallWarmup),
              Integer.toString(roundTrips)));
      Process p =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException("the child under strace did not finish within 5 minutes; see " + log);
      }
      List<String> out = Files.readAllLines(log, StandardCharsets.UTF_8);
      if (p.exitValue() != 0 || !out.contains("ok")) {
        throw new IOException(
            "the child under strace exited with status "
                + p.exitValue()
                + ": "
                + (out.isEmpty() ? "no output" : out.get(out.size() - 1))
                + " (see "
                + log
                + ")");
      }
      return parse(Files.readAllLines(summary, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(summary);
    }
  }

  /**
   * Reads {@code strace -c}'s table: "% time, seconds, usecs/call, calls, errors, syscall", the
   * errors column empty where there were none, and a last line whose name is "total".
   */
  static Map<String, Long> parse(List<String> lines) throws IOException {
    Map<String, Long> calls = new LinkedHashMap<>();
    for (String line : lines) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 5 || !f[0].matches("[0-9.]+") || !f[3].matches("[0-9]+")) {
        continue;
      }
      calls.merge(f[f.length - 1], Long.parseLong(f[3]), Long::sum);
    }
    if (!calls.containsKey("total")) {
      throw new IOException("no total in strace's summary: " + String.join(" / ", lines));
    }
    return calls;
  }

  public static void main(String[] args) throws Exception {
    Sys sys = Sys.parse(args[0]);
    String transport = args[1];
    Family family = Family.parse(args[2]);
    int warmup = Integer.parseInt(args[3]);
    int count = Integer.parseInt(args[4]);
    // run records every round trip; nothing here reads the figures, strace counts the calls
    Histogram latencies = Stats.histogram();
    int batch = 1_000;
    try (PingPong pp = PingPong.open(sys, transport, family)) {
      for (int done = 0; done < warmup; done += batch) {
        pp.run(latencies, done, Math.min(batch, warmup - done));
      }
      for (int done = 0; done < count; done += batch) {
        pp.run(latencies, warmup + done, Math.min(batch, count - done));
      }
    }
    System.out.println("ok");
    System.out.flush();
    // Netty may leave non-daemon threads behind; the count is done
    System.exit(0);
  }
}
