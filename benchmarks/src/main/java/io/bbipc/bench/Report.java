package io.bbipc.bench;

import io.bbipc.Ipc;
import io.bbipc.TransportInfo;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Runs the whole comparison and writes {@code benchmarks.md} and {@code benchmarks.svg}.
 *
 * <pre>
 * java -jar benchmarks/target/bbipc-benchmarks.jar [--smoke] [--out DIR] [--no-pin]
 *      [--transports nio,epoll,...] [--only latency,syscalls,throughput,poller,memory,connect,whenready]
 *      [--help]
 * </pre>
 *
 * <p>Without {@code --out} a full run writes to {@code docs/} under the working directory and a
 * smoke run to a fresh temporary directory. The pinned latency pass runs in a child JVM started
 * under {@code taskset -c 0}; everything else runs unpinned. System calls per round trip are
 * counted in child JVMs under {@code strace -f -c} ({@link Syscalls}), where strace is installed.
 * Exit status: 0 when every measurement ran, 3 when some failed (the report says which and why), 2
 * for bad arguments ({@link Arguments}).
 */
final class Report {
  static final List<String> PARTS =
      List.of("latency", "syscalls", "throughput", "poller", "memory", "connect", "whenready");

  private Report() {}

  public static void main(String[] args) throws Exception {
    // JMH and Netty may leave non-daemon threads behind; the run is over, so exit explicitly
    System.exit(run(args));
  }

  static int run(String[] argv) throws Exception {
    List<String> known = Ipc.transports().stream().map(TransportInfo::name).toList();
    Arguments args;
    try {
      args = Arguments.parse(known, argv);
    } catch (IllegalArgumentException e) {
      System.err.println("bad arguments: " + e.getMessage() + " (--help lists the options)");
      return 2;
    }
    if (args.help) {
      Arguments.printHelp(known, System.out);
      System.out.flush();
      return 0;
    }
    Settings settings = Settings.of(args.smoke);
    List<String> available = Endpoints.availableTransports();
    List<String> transports = new ArrayList<>(available);
    List<String> unknown = new ArrayList<>();
    if (args.transports != null) {
      transports.retainAll(args.transports);
      unknown.addAll(args.transports);
      unknown.removeAll(available);
    }
    if (args.pinnedPassFile != null) {
      return pinnedPass(args, settings, transports);
    }

    long started = System.nanoTime();
    long busyAtStart = Machine.busyTicks();
    long ownAtStart = Machine.ownTicks();
    ZonedDateTime date = ZonedDateTime.now();
    Results results = new Results();
    Progress progress = new Progress(System.err, args.smoke ? "[smoke] " : "");
    Path out =
        args.out != null
            ? args.out
            : args.smoke ? Files.createTempDirectory("bbipc-bench-smoke") : Path.of("docs");
    Files.createDirectories(out);
    Path logs = Files.createTempDirectory("bbipc-bench-logs");
    Markdown.Context ctx = new Markdown.Context();
    ctx.date = date.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z", Locale.ROOT));
    ctx.loadAtStart = Machine.load();
    ctx.transports = transports;
    ctx.settings = settings;
    ctx.command = commandLine(argv);
    progress.note(
        "bbipc benchmarks"
            + (args.smoke ? " (smoke)" : "")
            + ": transports "
            + transports
            + ", load "
            + ctx.loadAtStart
            + ", report to "
            + out.toAbsolutePath()
            + ", JMH logs in "
            + logs);
    if (Machine.load1() > 0.5) {
      results.notes.add(
          "The 1-minute load average was "
              + ctx.loadAtStart
              + " when the run started, "
              + "above 0.5: recent or concurrent work on the machine (see the CPU other processes used, under "
              + "Machine) may have disturbed the figures.");
    }
    List<String> missing = new ArrayList<>();
    for (TransportInfo t : Ipc.transports()) {
      if (!t.isAvailable()) {
        missing.add(
            t.name()
                + " priority "
                + t.priority()
                + " unavailable: "
                + t.unavailabilityCause().orElseThrow());
      }
    }
    ctx.unavailable = missing;
    if (!unknown.isEmpty()) {
      results.notes.add(
          "Asked for transports that are not available here, left out: " + unknown + ".");
    }

    if (args.only.contains("latency")) {
      if (!args.pin) {
        results.notes.add("The pinned latency pass was skipped (--no-pin).");
      } else {
        Path taskset = Machine.taskset();
        if (taskset == null) {
          results.notes.add(
              "The pinned latency pass was skipped: taskset (util-linux) is not installed.");
        } else {
          results.latency.addAll(runPinnedPass(args, taskset, progress, results, ctx));
        }
      }
      results.latency.addAll(Latency.runAll(settings, transports, false, progress));
    }
    if (args.only.contains("syscalls")) {
      if (Machine.executable("strace") == null) {
        results.syscallsNotMeasured =
            "strace is not installed (on Debian or Ubuntu: apt-get install strace)";
        results.notes.add(
            "System calls per round trip were not measured: " + results.syscallsNotMeasured + ".");
      } else {
        results.syscalls.addAll(Syscalls.runAll(settings, transports, logs, progress));
      }
    }
    if (args.only.contains("throughput")) {
      results.throughput.addAll(JmhRuns.throughput(settings, transports, logs, progress));
    }
    if (args.only.contains("poller")) {
      results.poller.addAll(JmhRuns.poller(settings, transports, logs, progress));
    }
    if (args.only.contains("memory")) {
      ctx.directSource = Memory.directSource();
      results.memory.addAll(Memory.runAll(settings, transports, progress));
      long[] fds = Machine.openFileLimits();
      int need = 2 * settings.idleConnections;
      results.notes.add(
          String.format(
              Locale.ROOT,
              "Open-files limit (ulimit -n) %d soft / %d hard. Both ends "
                  + "of %,d connections in one JVM need %,d descriptors plus the JVM's own (jars, event loops, "
                  + "poller), %s; so the connecting ends of the memory and waitForEvents connections live in a "
                  + "child process (PeerProcess) and each figure counts the accepted end only.",
              fds[0],
              fds[1],
              settings.idleConnections,
              need,
              fds[0] <= need + 200
                  ? "which this limit does not allow"
                  : "which this limit would allow, but one end per connection is the clearer figure"));
    }
    if (args.only.contains("connect")) {
      results.connect.addAll(ConnectRate.runAll(settings, transports, progress));
    }
    if (args.only.contains("whenready")) {
      results.whenReady.addAll(WhenReadyScale.runAll(settings, transports, progress));
    }

    ctx.loadAtEnd = Machine.load();
    if (busyAtStart >= 0 && ownAtStart >= 0) {
      // USER_HZ is 100 on every Linux the JDK runs on
      ctx.otherCpuSeconds =
          ((Machine.busyTicks() - busyAtStart) - (Machine.ownTicks() - ownAtStart)) / 100.0;
    }
    ctx.seconds = (System.nanoTime() - started) / 1e9;
    ctx.parts = args.only;
    Path md = out.resolve("benchmarks.md");
    Path svg = out.resolve("benchmarks.svg");
    Files.writeString(md, Markdown.render(results, ctx), StandardCharsets.UTF_8);
    Files.writeString(svg, Chart.render(results, ctx), StandardCharsets.UTF_8);
    progress.note(String.format(Locale.ROOT, "wrote %s and %s in %.0f s", md, svg, ctx.seconds));
    List<String> failures = results.failures();
    for (String f : failures) {
      progress.note("FAILED " + f);
    }
    return failures.isEmpty() ? 0 : 3;
  }

  private static String commandLine(String[] argv) {
    String args = argv.length == 0 ? "" : " " + String.join(" ", argv);
    return "java -jar benchmarks/target/bbipc-benchmarks.jar" + args;
  }

  /** Re-executes this JVM's command under {@code taskset -c 0} for the latency pass only. */
  private static List<Results.LatencyRow> runPinnedPass(
      Arguments args, Path taskset, Progress progress, Results results, Markdown.Context ctx)
      throws IOException, InterruptedException {
    Path file = Files.createTempFile("bbipc-bench-pinned", ".tsv");
    try {
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  taskset.toString(),
                  "-c",
                  "0",
                  Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
      cmd.addAll(
          List.of(
              "-cp",
              System.getProperty("java.class.path"),
              Report.class.getName(),
              "--" + Arguments.PINNED_PASS,
              file.toString()));
      cmd.addAll(args.passOn());
      progress.note("pinned latency pass: " + String.join(" ", cmd.subList(0, 4)) + " ...");
      Process p = new ProcessBuilder(cmd).inheritIO().start();
      // generous: the pass itself is about a minute
      if (!p.waitFor(8, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        results.notes.add(
            "The pinned latency pass did not finish within 8 minutes and was stopped.");
      } else if (p.exitValue() != 0) {
        results.notes.add("The pinned latency pass exited with status " + p.exitValue() + ".");
      }
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (line.startsWith("affinity\t")) {
          ctx.pinnedAffinity = line.substring("affinity\t".length());
        }
      }
      return Results.readLatency(file);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static int pinnedPass(Arguments args, Settings settings, List<String> transports)
      throws IOException {
    Progress progress = new Progress(System.err, (args.smoke ? "[smoke] " : "") + "[pinned] ");
    String affinity = "?";
    for (String line : Machine.lines("/proc/self/status")) {
      if (line.startsWith("Cpus_allowed_list:")) {
        affinity = line.substring(line.indexOf(':') + 1).trim();
      }
    }
    progress.note(
        "CPUs allowed: "
            + affinity
            + ", availableProcessors "
            + Runtime.getRuntime().availableProcessors());
    List<Results.LatencyRow> rows = Latency.runAll(settings, transports, true, progress);
    Results.writeLatency(args.pinnedPassFile, rows);
    Files.writeString(
        args.pinnedPassFile,
        "affinity\t"
            + affinity
            + "; availableProcessors "
            + Runtime.getRuntime().availableProcessors()
            + "\n",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND);
    return 0;
  }
}
