package io.bbipc.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * docs/benchmarks.md: the machine, the targets, every table, and how each figure was taken. It only
 * lays out: whether a target is met is decided by {@link Targets}.
 */
final class Markdown {
  private Markdown() {}

  /** What the report says about the run besides its figures. */
  static final class Context {
    String date;
    String loadAtStart;
    String loadAtEnd;
    double seconds;
    List<String> transports;
    List<String> unavailable = List.of();
    Settings settings;
    String command;
    String directSource;
    String pinnedAffinity;
    double otherCpuSeconds = Double.NaN;
    List<String> parts = Report.PARTS;
  }

  static String render(Results r, Context c) {
    StringBuilder b = new StringBuilder();
    b.append("# bbipc benchmarks\n\n");
    if (c.settings.smoke) {
      b.append(
          "**Smoke run: tiny sizes, to prove the harness works. The figures mean nothing.**\n\n");
    }
    b.append(
            String.format(
                Locale.ROOT,
                "Made by `%s` (one run, %.0f s) on %s. ",
                c.command,
                c.seconds,
                c.date))
        .append("Build and run from the repository root:\n\n```sh\n")
        .append(
            "mvn -B -q -pl benchmarks -am package -DskipTests && java -jar benchmarks/target/bbipc-benchmarks.jar\n")
        .append(
            "```\n\n![latency, throughput, polling, memory and connection rate](benchmarks.svg)\n\n");

    machine(b, r, c);
    targets(b, r, c);
    method(b, c);
    if (c.parts.contains("latency")) {
      latency(b, r, true);
      latency(b, r, false);
    }
    if (c.parts.contains("syscalls")) {
      syscalls(b, r, c);
    }
    if (c.parts.contains("throughput")) {
      throughput(b, r, c);
    }
    if (c.parts.contains("poller")) {
      poller(b, r, c);
    }
    if (c.parts.contains("memory")) {
      memory(b, r, c);
    }
    if (c.parts.contains("connect")) {
      connect(b, r);
    }
    if (c.parts.contains("whenready")) {
      whenReady(b, r.whenReady, c.settings, c.transports);
    }
    List<String> failures = r.failures();
    if (!failures.isEmpty()) {
      b.append("## Failures\n\n");
      for (String f : failures) {
        b.append("* ").append(f).append('\n');
      }
      b.append('\n');
    }
    if (!r.notes.isEmpty()) {
      b.append("## Notes\n\n");
      for (String n : r.notes) {
        b.append("* ").append(n).append('\n');
      }
      b.append('\n');
    }
    return b.toString();
  }

  private static void machine(StringBuilder b, Results r, Context c) {
    long[] fds = Machine.openFileLimits();
    b.append("## Machine\n\n| | |\n|---|---|\n");
    row(b, "nproc", Integer.toString(Runtime.getRuntime().availableProcessors()));
    row(
        b,
        "CPU",
        Machine.cpuModel() + " (" + Machine.cpuinfoProcessors() + " processors in /proc/cpuinfo)");
    row(b, "memory", Machine.memTotal());
    row(b, "kernel", Machine.kernel());
    row(b, "JDK", Machine.jdk());
    io.netty.util.Version netty = io.netty.util.Version.identify().get("netty-common");
    row(b, "Netty", netty == null ? "?" : netty.artifactVersion());
    row(b, "code measured (git)", Machine.gitCommit());
    row(b, "transports measured", String.join(", ", c.transports));
    if (!c.unavailable.isEmpty()) {
      row(b, "transports not available", String.join("; ", c.unavailable));
    }
    row(b, "open files limit (ulimit -n / -Hn)", fds[0] + " / " + fds[1]);
    row(b, "load average 1/5/15 min, at start", c.loadAtStart);
    row(b, "load average 1/5/15 min, at end (this run's own work included)", c.loadAtEnd);
    if (Double.isFinite(c.otherCpuSeconds)) {
      row(
          b,
          "CPU used by other processes during the run",
          String.format(
              Locale.ROOT,
              "%.1f CPU-seconds of the %.0f available (user + system time from /proc/stat, less this "
                  + "process's and its children's)",
              Math.max(0, c.otherCpuSeconds),
              c.seconds * Runtime.getRuntime().availableProcessors()));
    }
    if (c.pinnedAffinity != null) {
      row(b, "pinned pass", "taskset -c 0: CPUs allowed " + c.pinnedAffinity);
    }
    row(b, "date", c.date);
    b.append('\n');
  }

  // ---------------------------------------------------------------- targets

  private static void targets(StringBuilder b, Results r, Context c) {
    List<Targets.Target> ts = Targets.judge(r, c.transports, c.parts, c.settings.pollerSizes);
    long met = ts.stream().filter(t -> Boolean.TRUE.equals(t.met())).count();
    long missed = ts.stream().filter(t -> Boolean.FALSE.equals(t.met())).count();
    b.append("## Targets\n\n");
    b.append(
        String.format(
            Locale.ROOT,
            "%d met, %d missed, %d not measured. Each is a ratio of two figures from "
                + "this one run; latency ratios compare medians (p50).%n%n",
            met,
            missed,
            ts.size() - met - missed));
    b.append("| target | transport | connection | target | measured | met? | beside it |\n");
    b.append("|---|---|---|---|---|---|---|\n");
    for (Targets.Target t : ts) {
      b.append("| ")
          .append(t.what())
          .append(" | ")
          .append(t.transport())
          .append(" | ")
          .append(t.connection())
          .append(" | ")
          .append(t.target())
          .append(" | ")
          .append(t.measured())
          .append(" | ")
          .append(t.met() == null ? "—" : t.met() ? "**yes**" : "no")
          .append(" | ")
          .append(t.beside())
          .append(" |\n");
    }
    b.append('\n');
    baseline(b, ts);
  }

  static final String BASELINE_HEADING = "## Earlier targets against the baseline run";

  /** Each earlier ratio target, this run against the baseline run's figure. */
  private static void baseline(StringBuilder b, List<Targets.Target> ts) {
    b.append(BASELINE_HEADING).append("\n\n");
    b.append(
        String.format(
            Locale.ROOT,
            "The threaded runtime must not get slower with the caller-driven one beside "
                + "it: each target's ratio that the Targets table had before the caller-driven runtime (docs/benchmarks.md "
                + "at commit 7800799, from the full run of 2026-11-22 on code fd1ffb33fae0, as printed there: two decimals) "
                + "against the same ratio in this run. *Within* means at most %.0f %% the wrong way: for a ≤ target this "
                + "run's ratio is at most %.2f × the baseline's, for a ≥ target at least %.2f × it; better by any amount "
                + "is within.%n%n",
            Targets.BASELINE_TOLERANCE * 100,
            1 + Targets.BASELINE_TOLERANCE,
            1 - Targets.BASELINE_TOLERANCE));
    b.append(
        "| target | transport | connection | baseline | this run | this run / baseline | within? |\n");
    b.append("|---|---|---|---:|---:|---:|---|\n");
    for (Targets.BaselineCheck x : Targets.baselineChecks(ts)) {
      b.append("| ")
          .append(x.what())
          .append(" | ")
          .append(x.transport())
          .append(" | ")
          .append(x.connection())
          .append(String.format(Locale.ROOT, " | %.2f× | ", x.before()));
      if (x.within() == null) {
        b.append("n/a | — | — |\n");
      } else {
        b.append(
            String.format(
                Locale.ROOT,
                "%.2f× | %.3f | %s |%n",
                x.now(),
                x.change(),
                x.within() ? "**yes**" : "no"));
      }
    }
    b.append('\n');
  }

  // ---------------------------------------------------------------- method

  private static void method(StringBuilder b, Context c) {
    Settings s = c.settings;
    b.append("## How it was measured\n\n");
    b.append(
        "Every figure is from the same run of the same build, one measurement after another, so the "
            + "ratios hold even when the machine is noisy. Each bbipc and raw Netty figure is given for every "
            + "transport that is available here; the JDK has no transport of its own. TCP is loopback "
            + "(127.0.0.1, TCP_NODELAY on every stream); local is a Unix domain socket file in a fresh "
            + "temporary directory.\n\n");
    b.append(
        "* **Systems.** *bbipc sync*: a client thread does `writeToStream`, then `poll(DATA_AVAILABLE)` "
            + "and `readFromStream` until the 64 bytes are back; an echo thread does the same the other way. "
            + "*bbipc async*: both ends are `whenReady(DATA_AVAILABLE)` chains continued with `thenCompose`, with "
            + "no thread of their own (everything runs on the streams' event loops). *bbipc sync + 50 µs "
            + "spin* (unpinned only): the sync facade on a runtime made with "
            + "`Ipc.Builder.spinBeforePark(Duration.ofNanos(50_000))`, so a waiting thread spins that long "
            + "before it parks (on one CPU a spin only delays the peer, so it is not run pinned). *bbipc sync, "
            + "caller-driven*: the same ping-pong as *bbipc sync*, but each end on a caller-driven runtime of its own "
            + "(`Ipc.builder().transport(t).callerDriven(true).build()`), built on the thread that uses it: the "
            + "client's by the measuring thread, the echo's by the echo thread, which also makes the server and "
            + "accepts. There is no event loop thread: `writeToStream` writes straight to the kernel and `poll` "
            + "waits in the transport's own wait (epoll_wait, io_uring_enter, `Selector.select`) on the calling "
            + "thread. *bbipc sync, caller-driven + busy poll* (unpinned only, as the spin): the same with "
            + "`Ipc.Builder.busyPoll(Duration.ofNanos(50_000))` on both runtimes, so a waiting owner asks the kernel "
            + "without blocking for up to 50 µs before it blocks. Both runtimes are closed, the client's by "
            + "its owner and the echo's by its own thread, and that thread is joined, after each measurement. "
            + "*raw Netty*: a "
            + "`ChannelInboundHandler` echo server and a client handler that sends the next ping when the echo "
            + "is in, on the same transport's channels and I/O handler. *JDK blocking*: `SocketChannel`s in "
            + "blocking mode (`UnixDomainSocketAddress` for local), echo on its own thread. bbipc runs on one "
            + "`Ipc` per measurement with its default event loop threads (min(nproc, 4)); raw Netty gets a group "
            + "with as many threads (a caller-driven runtime has none).\n");
    b.append(
        String.format(
            Locale.ROOT,
            "* **Latency** (hand-written harness, not JMH): %s of warm-up (long enough for the JIT to "
                + "finish: pinned, the compiler shares the one CPU, and with 500 ms its work fell into the measured "
                + "window, which made the threaded sync facade's pinned TCP p99.9 1.5-2.7 ms), then "
                + "%s of round trips, each one's `System.nanoTime()` delta recorded in an HdrHistogram (%d "
                + "significant digits) that gives the mean and the percentiles (nearest rank, at most 0.1 %% above "
                + "the round trip it names). The clock starts before the ping is handed to the "
                + "system and stops when all 64 echoed bytes are in the client's hands; every echo is checked "
                + "against its ping. Run twice: *pinned*, in a child JVM started under `taskset -c 0`, so both ends, "
                + "the event loops, the JIT and the GC share one CPU and the figure is the software's own cost (the "
                + "JVM sees one processor there, so bbipc and Netty run one event loop thread); and *unpinned*, "
                + "what a user on a machine of more than one CPU sees: where the scheduler puts the two ends on different vCPUs, "
                + "waking a halted idle vCPU costs tens of µs, and where it keeps them on one it costs about what "
                + "the pinned pass shows, so unpinned figures move between runs with that choice. *CPU per round trip* is the CPU time (user + system) that the "
                + "JVM's Java threads used over the measured round trips (`ThreadMXBean` thread CPU time, summed "
                + "over every thread: both ends, the event loops, the harness; not the JIT or GC threads), divided "
                + "by their number. Beside a round trip's wall time it shows how much of it was spent spinning or "
                + "working rather than waiting.%n",
            duration(s.latencyWarmupNanos),
            duration(s.latencyMeasureNanos),
            Stats.DIGITS));
    b.append(
        String.format(
            Locale.ROOT,
            "* **Streaming throughput** (JMH, `ThroughputBench`, single-shot mode): "
                + "%s one way in 64 KiB writes per operation, %d warm-up and %d measured operations, %s. Bytes start "
                + "in a `byte[]` and end in a `byte[]` for every system: raw Netty copies into a pooled direct buffer to "
                + "send and out of each received buffer, as bbipc does inside; the JDK writes from and reads into heap "
                + "`ByteBuffer`s. *bbipc sync, caller-driven*: the *bbipc sync* loops with each end on a caller-driven "
                + "runtime owned by a thread of its own (sender and receiver), since JMH may run a benchmark's setup and "
                + "iterations on different threads and only the owner may use a runtime's sockets; each operation hands "
                + "one job to each thread and waits for both. Unpinned. GiB/s = bytes / mean time per operation.%n",
            bytes(s.streamBytes),
            s.streamWarmups,
            s.streamMeasurements,
            s.jmhForks == 0 ? "in-process (smoke)" : s.jmhForks + " forked JVM per combination"));
    b.append(
        String.format(
            Locale.ROOT,
            "* **System calls per round trip**: the latency ping-pong of one system "
                + "(JDK blocking, bbipc sync on the threaded runtime, bbipc sync caller-driven; %s, TCP and local) in "
                + "a child JVM of its own under `strace -f -c`, which counts every system call of every thread: both "
                + "ends, the event loops, and the JVM's own (startup, JIT, GC). Each is run twice, %,d warm-up round "
                + "trips and then %,d or %,d counted ones, and the difference of the two totals divided by %,d is "
                + "one round trip's, the JVM's startup and warm-up taken out. Failed calls (EAGAIN) count. strace "
                + "slows every call, so these runs time nothing.%n",
            Syscalls.transport(c.transports),
            s.syscallWarmup,
            s.syscallRoundTrips,
            2 * s.syscallRoundTrips,
            s.syscallRoundTrips));
    b.append(
        String.format(
            Locale.ROOT,
            "* **Poller** (JMH, `PollerBench`, average time): one "
                + "`waitForEvents(Timeout.seconds(10))` on a poller monitoring N accepted loopback TCP streams for "
                + "`DATA_AVAILABLE`, exactly one of which holds an unread byte (level-triggered, so it is ready on "
                + "every call; the benchmark checks each call returns exactly it). %d warm-up and %d measured "
                + "iterations of %d ms, %s.%n",
            s.pollerWarmups,
            s.pollerIterations,
            s.pollerIterationMillis,
            s.jmhForks == 0 ? "in-process (smoke)" : s.jmhForks + " forked JVM per combination"));
    b.append(
        String.format(
            Locale.ROOT,
            "* **Memory**: %,d idle loopback TCP connections. Only the accepted "
                + "ends are in the measuring JVM; the connecting ends are in a child process (`PeerProcess`, see "
                + "Notes for why). So the figure is per accepted stream, one end of one connection. Heap is "
                + "`MemoryMXBean` heap used after %s, before the connections and after all were accepted, "
                + "divided by their number; direct is %s. RSS growth (from /proc/self/status) is shown for "
                + "reference only: it also counts heap pages the collector touched or returned, and native "
                + "memory neither counter sees.%n",
            s.idleConnections,
            s.smoke ? "one `System.gc()`" : "three `System.gc()`s 100 ms apart",
            c.directSource == null ? "the JDK's direct buffer pool" : c.directSource));
    b.append(
        String.format(
            Locale.ROOT,
            "* **Connection rate**: one after another, connect, wait until "
                + "connected, accept, close both ends; after a warm-up, for %s or %,d connections, whichever "
                + "comes first. bbipc and raw Netty closes are queued on the event loop (as their users would "
                + "close); the JDK's are synchronous.%n%n",
            duration(s.connectMeasureNanos),
            s.connectMaxCount));
  }

  // ---------------------------------------------------------------- tables

  private static void latency(StringBuilder b, Results r, boolean pinned) {
    b.append(
        pinned
            ? "## Round-trip latency, 64-byte ping-pong, pinned to one CPU\n\n"
            : "## Round-trip latency, 64-byte ping-pong, unpinned\n\n");
    List<Results.LatencyRow> rows = r.latency.stream().filter(x -> x.pinned() == pinned).toList();
    if (rows.isEmpty()) {
      b.append("Not measured (see Notes).\n\n");
      return;
    }
    b.append(
        "| system | transport | connection | mean µs | p50 µs | p99 µs | p99.9 µs | round trips | CPU µs per round trip |\n");
    b.append("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (Family f : Family.values()) {
      for (Results.LatencyRow x : rows) {
        if (x.family() != f) {
          continue;
        }
        b.append("| ")
            .append(x.sys().label)
            .append(" | ")
            .append(transportCell(x.sys(), x.transport()))
            .append(" | ")
            .append(f.label)
            .append(" | ");
        if (x.error() != null) {
          b.append("failed: ").append(x.error()).append(" | | | | | |\n");
        } else {
          b.append(
              String.format(
                  Locale.ROOT,
                  "%.1f | %.1f | %.1f | %.1f | %,d | %.1f |%n",
                  x.mean() / 1e3,
                  x.p50() / 1e3,
                  x.p99() / 1e3,
                  x.p999() / 1e3,
                  x.count(),
                  x.cpuPerRtt() / 1e3));
        }
      }
    }
    b.append('\n');
  }

  static final String SYSCALLS_HEADING = "## System calls per round trip";

  private static void syscalls(StringBuilder b, Results r, Context c) {
    b.append(SYSCALLS_HEADING).append("\n\n");
    if (r.syscallsNotMeasured != null) {
      b.append("Not measured: ").append(r.syscallsNotMeasured).append(".\n\n");
      return;
    }
    if (r.syscalls.isEmpty()) {
      b.append("Not measured (see Notes).\n\n");
      return;
    }
    b.append(
        String.format(
            Locale.ROOT,
            "`strace -f -c` over a child JVM running one system's 64-byte ping-pong: "
                + "(calls with %,d round trips − calls with %,d) / %,d, every thread counted (see How it was measured).%n%n",
            2 * c.settings.syscallRoundTrips,
            c.settings.syscallRoundTrips,
            c.settings.syscallRoundTrips));
    b.append(
        "| system | transport | connection | system calls per round trip | of which (per round trip) |\n");
    b.append("|---|---|---|---:|---|\n");
    for (Family f : Family.values()) {
      for (Results.SyscallRow x : r.syscalls) {
        if (x.family() != f) {
          continue;
        }
        b.append("| ")
            .append(x.sys().label)
            .append(" | ")
            .append(transportCell(x.sys(), x.transport()))
            .append(" | ")
            .append(f.label)
            .append(" | ");
        if (x.error() != null) {
          b.append("failed: ").append(x.error()).append(" | |\n");
        } else {
          b.append(String.format(Locale.ROOT, "%.2f | %s |%n", x.perRoundTrip(), x.breakdown()));
        }
      }
    }
    b.append('\n');
  }

  private static void throughput(StringBuilder b, Results r, Context c) {
    b.append("## Streaming throughput, ")
        .append(bytes(c.settings.streamBytes))
        .append(" in 64 KiB writes, one direction\n\n");
    b.append(
        "| system | transport | TCP loopback GiB/s | local socket GiB/s |\n|---|---|---:|---:|\n");
    for (Sys sys :
        new Sys[] {Sys.JDK, Sys.BBIPC_SYNC, Sys.BBIPC_SYNC_CALLER, Sys.BBIPC_ASYNC, Sys.NETTY}) {
      for (String tr : sys.usesTransport() ? c.transports : List.of(Sys.NO_TRANSPORT)) {
        b.append("| ").append(sys.label).append(" | ").append(transportCell(sys, tr));
        for (Family f : Family.values()) {
          Results.ThroughputRow x =
              Results.find(
                  r.throughput, y -> y.sys() == sys && y.transport().equals(tr) && y.family() == f);
          b.append(" | ")
              .append(
                  x == null
                      ? "—"
                      : x.error() != null
                          ? "failed: " + x.error()
                          : String.format(Locale.ROOT, "%.2f", x.gibPerSecond()));
        }
        b.append(" |\n");
      }
    }
    b.append('\n');
  }

  private static void poller(StringBuilder b, Results r, Context c) {
    int[] sizes = c.settings.pollerSizes;
    b.append("## Poller: one waitForEvents, 1 ready stream among N monitored\n\n");
    b.append("ns per call (± JMH's 99.9% confidence interval)\n\n| transport |");
    for (int n : sizes) {
      b.append(String.format(Locale.ROOT, " N = %,d |", n));
    }
    b.append(String.format(Locale.ROOT, " %,d / %,d |%n|---|", sizes[sizes.length - 1], sizes[0]));
    for (int i = 0; i <= sizes.length; i++) {
      b.append("---:|");
    }
    b.append('\n');
    for (String tr : c.transports) {
      b.append("| ").append(tr).append(" |");
      for (int n : sizes) {
        Results.PollerRow x =
            Results.find(r.poller, y -> y.transport().equals(tr) && y.monitored() == n);
        b.append(' ')
            .append(
                x == null
                    ? "—"
                    : x.error() != null
                        ? "failed: " + x.error()
                        : Double.isFinite(x.errorNanos())
                            ? String.format(
                                Locale.ROOT, "%.0f ± %.0f", x.nanosPerCall(), x.errorNanos())
                            : String.format(Locale.ROOT, "%.0f", x.nanosPerCall()))
            .append(" |");
      }
      Results.PollerRow a =
          Results.find(r.poller, y -> y.transport().equals(tr) && y.monitored() == sizes[0]);
      Results.PollerRow z =
          Results.find(
              r.poller, y -> y.transport().equals(tr) && y.monitored() == sizes[sizes.length - 1]);
      b.append(' ')
          .append(
              a == null || z == null || a.error() != null || z.error() != null
                  ? "—"
                  : String.format(Locale.ROOT, "%.2f×", z.nanosPerCall() / a.nanosPerCall()))
          .append(" |\n");
    }
    b.append('\n');
  }

  private static void memory(StringBuilder b, Results r, Context c) {
    b.append("## Memory per idle connection\n\n");
    b.append("Bytes per connection (accepted end only; see How it was measured).\n\n");
    b.append("| system | transport | connections | heap | direct | heap + direct | RSS growth |\n");
    b.append("|---|---|---:|---:|---:|---:|---:|\n");
    for (Results.MemoryRow x : r.memory) {
      String name = x.sys() == Sys.BBIPC_SYNC ? "bbipc" : x.sys().label;
      b.append("| ")
          .append(name)
          .append(" | ")
          .append(transportCell(x.sys(), x.transport()))
          .append(" | ");
      if (x.error() != null) {
        b.append(
            String.format(Locale.ROOT, "%,d | failed: %s | | | |%n", x.connections(), x.error()));
      } else {
        b.append(
            String.format(
                Locale.ROOT,
                "%,d | %,.0f | %,.0f | %,.0f | %,.0f |%n",
                x.connections(),
                x.heapPerConnection(),
                x.directPerConnection(),
                x.heapPerConnection() + x.directPerConnection(),
                x.rssPerConnection()));
      }
    }
    b.append('\n');
  }

  private static void connect(StringBuilder b, Results r) {
    b.append("## Connection rate: connect + accept + close\n\n");
    b.append(
        "| system | transport | TCP loopback per s | local socket per s |\n|---|---|---:|---:|\n");
    List<String> seen = new ArrayList<>();
    for (Results.ConnectRow x : r.connect) {
      String key = x.sys() + "/" + x.transport();
      if (seen.contains(key)) {
        continue;
      }
      seen.add(key);
      b.append("| ")
          .append(x.sys() == Sys.BBIPC_SYNC ? "bbipc" : x.sys().label)
          .append(" | ")
          .append(transportCell(x.sys(), x.transport()));
      for (Family f : Family.values()) {
        Results.ConnectRow y =
            Results.find(
                r.connect,
                z -> z.sys() == x.sys() && z.transport().equals(x.transport()) && z.family() == f);
        b.append(" | ")
            .append(
                y == null
                    ? "—"
                    : y.error() != null
                        ? "failed: " + y.error()
                        : String.format(Locale.ROOT, "%,.0f", y.perSecond()));
      }
      b.append(" |\n");
    }
    b.append('\n');
  }

  static final String WHEN_READY_HEADING = "## whenReady at scale: many futures on one stream";

  /**
   * The whenReady section alone, so that its figures can be measured and put into an existing
   * report without redoing the rest.
   */
  static void whenReady(
      StringBuilder b, List<Results.WhenReadyRow> rows, Settings s, List<String> transports) {
    b.append(WHEN_READY_HEADING).append("\n\n");
    b.append(
        String.format(
            Locale.ROOT,
            "`StreamSocket.whenReady` futures used to be kept in a copy-on-write "
                + "array: every registration copied the whole array, and completing them ran as one event loop task, "
                + "so every other socket on that loop waited for all of it. For comparison, an earlier measurement on this machine, "
                + "before `ReadyFutures`, 100,000 futures taking 5.6–6.4 s to register and about 3.7 s to "
                + "complete on the event loop (the last row: that measurement's figures, not this run's). They are now kept "
                + "in `ReadyFutures` (O(1) registration and cancellation; the event loop checks them in batches of "
                + "1,024, a follow-on batch scheduled for the loop's next turn so that its other sockets are served in between). Here one bbipc runtime per "
                + "row has one event loop thread (`ioThreads(1)`) and two local-socket (Unix domain) connections. On "
                + "the first, one thread registers N `whenReady(EnumSet.of(DATA_AVAILABLE))` futures, none cancelled "
                + "(*register* times those N calls only); a continuation is then put on each; then, once three "
                + "round trips on the second connection (below) have begun and ended after that, the peer writes one "
                + "byte: *complete* runs from that write until the continuation of the last future to complete has "
                + "run on the event loop (no thread waits in `get()`, which may run continuations itself). All the "
                + "while a thread of its own runs one-byte round trips on the second connection, both of whose ends "
                + "are on the same event loop: the client writes, the accepted end reads and writes the byte back, the "
                + "client reads it (`poll` then `readFromStream`). *Worst round trip while completing* is the longest "
                + "of those that overlapped the completion, which is how long the loop's other sockets waited at "
                + "worst; *round trips* is how many overlapped it; *worst while registering* is the same over the "
                + "registration, during which the loop keeps checking the growing set. The median round trip over "
                + "%s with nothing else on the loop, just before each run, is beside them for scale. Each row is %s "
                + "after one unrecorded warm-up run, each run on fresh connections%s.%n%n",
            duration(s.whenReadyIdleNanos),
            s.whenReadyRuns == 1 ? "one run" : s.whenReadyRuns + " runs",
            s.whenReadyRuns == 1 ? "" : ", shown as median (min–max)"));
    b.append(
        "| transport | futures | register ms | complete ms | other socket: worst round trip while "
            + "completing, ms | its round trips while completing | its worst round trip while registering, ms | "
            + "its median round trip, loop idle, µs |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (String tr : transports) {
      for (int n : s.whenReadySizes) {
        Results.WhenReadyRow x =
            Results.find(rows, y -> y.transport().equals(tr) && y.futures() == n);
        b.append("| ").append(tr).append(String.format(Locale.ROOT, " | %,d | ", n));
        if (x == null) {
          b.append("— | — | — | — | — | — |\n");
        } else if (x.error() != null) {
          b.append("failed: ").append(x.error()).append(" | | | | | |\n");
        } else {
          b.append(spread(x, Results.WhenReadyRun::registerMillis, "%,.1f"))
              .append(" | ")
              .append(spread(x, Results.WhenReadyRun::completeMillis, "%,.1f"))
              .append(" | ")
              .append(spread(x, Results.WhenReadyRun::worstRttCompletingMillis, "%,.2f"))
              .append(" | ")
              .append(spread(x, Results.WhenReadyRun::roundTripsCompleting, "%,.0f"))
              .append(" | ")
              .append(spread(x, Results.WhenReadyRun::worstRttRegisteringMillis, "%,.2f"))
              .append(" | ")
              .append(spread(x, Results.WhenReadyRun::idleMedianRttMicros, "%,.0f"))
              .append(" |\n");
        }
      }
    }
    b.append(
        "| before `ReadyFutures` (copy-on-write array; an earlier measurement's figures, not this run's) | 100,000 | "
            + "5,600–6,400 | ≈ 3,700 | — | — | — | — |\n\n");
  }

  /** A figure's median over the runs, with their range when there was more than one. */
  private static String spread(
      Results.WhenReadyRow x,
      java.util.function.ToDoubleFunction<Results.WhenReadyRun> f,
      String format) {
    double m = x.median(f);
    if (!Double.isFinite(m)) {
      return "—";
    }
    String median = String.format(Locale.ROOT, format, m);
    return x.runs().size() == 1
        ? median
        : median
            + String.format(Locale.ROOT, " (" + format + "–" + format + ")", x.min(f), x.max(f));
  }

  // ---------------------------------------------------------------- helpers

  private static String transportCell(Sys sys, String transport) {
    return sys.usesTransport() ? transport : "—";
  }

  private static void row(StringBuilder b, String k, String v) {
    b.append("| ").append(k).append(" | ").append(v).append(" |\n");
  }

  static String duration(long nanos) {
    return nanos >= 1_000_000_000L
        ? String.format(Locale.ROOT, "%.1f s", nanos / 1e9)
        : String.format(Locale.ROOT, "%d ms", nanos / 1_000_000);
  }

  static String bytes(long n) {
    if (n >= 1L << 30 && n % (1L << 30) == 0) {
      return (n >> 30) + " GiB";
    }
    return (n >> 20) + " MiB";
  }
}
