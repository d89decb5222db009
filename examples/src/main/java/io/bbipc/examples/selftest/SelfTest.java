package io.bbipc.examples.selftest;

import io.bbipc.Ipc;
import io.bbipc.examples.Main;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The {@code selftest} command: tries what bbipc promises on every transport on the class path,
 * over TCP on 127.0.0.1 and on ::1, local sockets in a new temporary directory and Linux abstract
 * names, prints one table of what works on this machine and returns an exit code.
 *
 * <p>Every wait has a deadline and every check runs on a thread of its own under a timeout, so a
 * check that hangs fails alone and the others still run. Nothing but the loopback address and the
 * temporary directory, removed at the end, is touched; each runtime made is closed.
 */
public final class SelfTest {
  /** How long one check may take. */
  static final Duration CHECK_TIMEOUT = Duration.ofSeconds(10);

  /** How long the whole run may take before the checks not yet run fail as not run. */
  static final Duration RUN_BUDGET = Duration.ofSeconds(45);

  /** The first column of every row: the others run only where it passed. */
  private static final Column AVAILABLE = new Column("available", new AvailableCheck());

  /** Every column but the transport, the kind and the time: "available" first. */
  private final List<Column> columns;

  private final Duration checkTimeout;
  private final Duration budget;
  private final Path tempParent;

  /**
   * Makes a selftest.
   *
   * @param checks the columns after "available", run in this order on every row
   * @param checkTimeout how long one check may take
   * @param budget how long the whole run may take
   * @param tempParent where to make the temporary directory, or null for the system's
   */
  SelfTest(List<Column> checks, Duration checkTimeout, Duration budget, Path tempParent) {
    this.columns = Stream.concat(Stream.of(AVAILABLE), checks.stream()).toList();
    this.checkTimeout = checkTimeout;
    this.budget = budget;
    this.tempParent = tempParent;
  }

  /**
   * Runs every check on every transport and kind of socket, printing the table, the failures in
   * full and a summary with the elapsed time.
   *
   * @param out where the report goes
   * @return 0 if every check that applies here passed, {@value Main#FAILURE} otherwise
   */
  public static int run(PrintStream out) {
    return new SelfTest(standardColumns(), CHECK_TIMEOUT, RUN_BUDGET, null).execute(out);
  }

  /** Returns the columns after "available", in the order they are printed. */
  static List<Column> standardColumns() {
    return List.of(
        new Column("echo 1 B", new EchoCheck(1)),
        new Column("echo 64 KiB", new EchoCheck(64 * EchoCheck.KIB)),
        new Column("echo 16 MiB", new EchoCheck(EchoCheck.LARGEST)),
        new Column("peek", new PeekCheck()),
        new Column("refused", new RefusedCheck()),
        new Column("disconnect", new DisconnectCheck()),
        new Column("file 0600", new SocketFileCheck()),
        new Column("peer creds", new PeerCredentialsCheck()),
        new Column("poller x" + PollerCheck.STREAMS, new PollerCheck()),
        new Column("whenReady", new WhenReadyCheck()));
  }

  /**
   * Returns why {@code Ipc.create()} fails here (a {@code bbipc.transport} property that names an
   * unknown or unavailable transport), or null if it works: every program that uses the default
   * runtime would fail the same way, however well the transports themselves work.
   */
  static String defaultRuntimeProblem() {
    try {
      Ipc.create().close();
      return null;
    } catch (RuntimeException e) {
      return Texts.describe(e);
    }
  }

  /** Runs the selftest, printing its report on {@code out}, and returns the exit code. */
  int execute(PrintStream out) {
    long start = System.nanoTime();
    ReportPrinter.printHeading(out);
    String noDefault = defaultRuntimeProblem();
    ExecutorService pool = Executors.newCachedThreadPool(daemonThreads());
    List<String> notes = new ArrayList<>();
    ScratchDirectory scratch = ScratchDirectory.make(tempParent);
    out.println(scratch.describe());
    out.println();
    List<RowResult> rows;
    String cleanupFailure;
    try {
      CheckRunner runner = new CheckRunner(pool, checkTimeout, budget, start);
      rows = new RowRunner(columns, runner, new Context(pool, scratch)).runAll();
    } finally {
      stop(pool, notes);
      cleanupFailure = scratch.remove(notes);
    }
    List<String> runFailures = new ArrayList<>();
    if (noDefault != null) {
      runFailures.add("Ipc.create(): " + noDefault);
    }
    if (cleanupFailure != null) {
      runFailures.add("cleanup: " + cleanupFailure);
    }
    return new ReportPrinter(columns).print(out, rows, notes, runFailures, start);
  }

  /** Stops the pool's threads, noting a check that would not stop. */
  private static void stop(ExecutorService pool, List<String> notes) {
    pool.shutdownNow();
    try {
      if (!pool.awaitTermination(2, TimeUnit.SECONDS)) {
        notes.add("a check that timed out was still running when the selftest ended");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Returns a factory of numbered daemon threads for the pool. */
  private static ThreadFactory daemonThreads() {
    AtomicInteger count = new AtomicInteger();
    return task -> {
      Thread thread = new Thread(task, "bbipc-selftest-" + count.incrementAndGet());
      // A check that ignores its interrupt must not keep the JVM alive.
      thread.setDaemon(true);
      return thread;
    };
  }
}
