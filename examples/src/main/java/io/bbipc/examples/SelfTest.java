package io.bbipc.examples;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_FAILED;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.IpcSocket;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv6TcpServer;
import io.bbipc.LocalServer;
import io.bbipc.LocalStream;
import io.bbipc.NoLocalServerException;
import io.bbipc.PeerCredentials;
import io.bbipc.PollResult;
import io.bbipc.Poller;
import io.bbipc.ServerOptions;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.spi.TransportProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;

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

  /** How many connected pairs the poller check watches. */
  static final int POLLED_STREAMS = 100;

  /** A check whose own waits all gave up still needs a moment to say so and clean up. */
  private static final Duration GRACE = Duration.ofSeconds(1);

  /** The longest failure reason shown in a table cell; the full one follows the table. */
  private static final int CELL_REASON = 28;

  private static final int KIB = 1024;
  private static final int MIB = 1024 * KIB;
  private static final int LARGEST_ECHO = 16 * MIB;
  /* Well within the default 1 MiB inbound limit, so the whole of it is read before the FIN. */
  private static final int DISCONNECT_BYTES = 256 * KIB;
  private static final Timeout SLICE = Timeout.seconds(0.2);

  private final List<Check> checks;
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
  SelfTest(List<Check> checks, Duration checkTimeout, Duration budget, Path tempParent) {
    this.checks = List.copyOf(checks);
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
    return new SelfTest(standardChecks(), CHECK_TIMEOUT, RUN_BUDGET, null).execute(out);
  }

  /**
   * Why {@code Ipc.create()} fails here (a {@code bbipc.transport} property that names an unknown
   * or unavailable transport), or null if it works: every program that uses the default runtime
   * would fail the same way, however well the transports themselves work.
   */
  static String defaultRuntimeProblem() {
    try {
      Ipc.create().close();
      return null;
    } catch (RuntimeException e) {
      return describe(e);
    }
  }

  /** Every transport on the class path, best first, available or not. */
  static List<TransportProvider> transports() {
    return Ipc.transports().stream().map(io.bbipc.TransportInfo::provider).toList();
  }

  // ---------------------------------------------------------------- the run

  int execute(PrintStream out) {
    long start = System.nanoTime();
    long budgetEnd = start + budget.toNanos();
    out.println(
        "bbipc selftest on "
            + System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " "
            + System.getProperty("os.arch")
            + ", Java "
            + System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vendor")
            + "), "
            + Runtime.getRuntime().availableProcessors()
            + " CPUs, pid "
            + ProcessHandle.current().pid());
    List<String> report = Ipc.transportReport().lines().toList();
    out.println(report.get(report.size() - 1));
    String noDefault = defaultRuntimeProblem();

    ExecutorService pool = Executors.newCachedThreadPool(daemonThreads());
    List<String> notes = new ArrayList<>();
    List<RowResult> rows = new ArrayList<>();
    Path directory = null;
    String noDirectory = null;
    try {
      directory =
          tempParent == null
              ? Files.createTempDirectory("bbipc-selftest")
              : Files.createTempDirectory(tempParent, "bbipc-selftest");
    } catch (IOException | RuntimeException e) {
      noDirectory = describe(e);
    }
    out.println(
        directory != null
            ? "local sockets in " + directory + ", removed at the end"
            : "local sockets: cannot make a temporary directory: " + noDirectory);
    out.println();
    String cleanupFailure = null;
    try {
      Context context =
          new Context(
              pool,
              directory,
              ownUid(directory),
              payload(),
              "bbipc-selftest-"
                  + ProcessHandle.current().pid()
                  + "-"
                  + Long.toHexString(new Random().nextLong() & 0xffffffffL)
                  + "-");
      for (TransportProvider transport : transports()) {
        if (!transport.isAvailable()) {
          Throwable cause = transport.unavailabilityCause();
          for (Kind kind : Kind.values()) {
            rows.add(
                RowResult.spanning(
                    transport.name(),
                    kind,
                    "unavailable: " + (cause == null ? "no reason given" : cause.toString())));
          }
          continue;
        }
        Ipc ipc;
        try {
          ipc = Ipc.builder().transport(transport.name()).build();
        } catch (RuntimeException e) {
          for (Kind kind : Kind.values()) {
            rows.add(
                notAvailable(
                    transport.name(),
                    kind,
                    Result.failed("cannot make a runtime: " + describe(e)),
                    0,
                    budgetEnd));
          }
          continue;
        }
        try {
          for (Kind kind : Kind.values()) {
            rows.add(runRow(new Row(transport, ipc, kind, context), noDirectory, budgetEnd));
          }
        } finally {
          ipc.close();
        }
      }
    } finally {
      pool.shutdownNow();
      try {
        if (!pool.awaitTermination(2, TimeUnit.SECONDS)) {
          notes.add("a check that timed out was still running when the selftest ended");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (directory != null) {
        cleanupFailure = removeDirectory(directory, notes);
      }
    }
    List<String> runFailures = new ArrayList<>();
    if (noDefault != null) {
      runFailures.add("Ipc.create(): " + noDefault);
    }
    if (cleanupFailure != null) {
      runFailures.add("cleanup: " + cleanupFailure);
    }
    return print(out, rows, notes, runFailures, start);
  }

  private RowResult runRow(Row row, String noDirectory, long budgetEnd) {
    long start = System.nanoTime();
    Result available =
        row.kind == Kind.LOCAL && row.context.directory == null
            ? Result.failed("cannot make a temporary directory: " + noDirectory)
            : runCheck(AVAILABLE, row, budgetEnd);
    if (available.status == Status.NA) {
      return RowResult.spanning(row.transport.name(), row.kind, available.text);
    }
    if (available.status == Status.FAILED) {
      return notAvailable(
          row.transport.name(), row.kind, available, System.nanoTime() - start, budgetEnd);
    }
    List<Result> cells = new ArrayList<>();
    cells.add(available);
    for (Check check : checks) {
      cells.add(runCheck(check, row, budgetEnd));
    }
    return new RowResult(row.transport.name(), row.kind, cells, null, System.nanoTime() - start);
  }

  /** A row whose transport or kind failed to work at all: the other checks cannot tell more. */
  private RowResult notAvailable(
      String transport, Kind kind, Result available, long nanos, long budgetEnd) {
    List<Result> cells = new ArrayList<>();
    cells.add(available);
    for (int i = 0; i < checks.size(); i++) {
      cells.add(System.nanoTime() - budgetEnd >= 0 ? notRun() : Result.na("not available"));
    }
    return new RowResult(transport, kind, cells, null, nanos);
  }

  private Result notRun() {
    return Result.failed("not run: time's up (" + seconds(budget.toNanos()) + ")");
  }

  /** Runs one check on a thread of the pool, giving up on it, not waiting, at its deadline. */
  private Result runCheck(Check check, Row row, long budgetEnd) {
    long now = System.nanoTime();
    long left = budgetEnd - now;
    if (left <= 0) {
      return notRun();
    }
    long limit = Math.min(checkTimeout.toNanos(), left);
    long deadline = now + limit;
    Future<Result> running =
        row.context.pool.submit(
            () -> {
              try (Probe probe = new Probe(row, deadline)) {
                return check.body.run(probe);
              }
            });
    long patience = limit + GRACE.toNanos();
    try {
      return running.get(patience, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      running.cancel(true);
      return Result.failed("did not finish within " + seconds(patience));
    } catch (ExecutionException e) {
      return Result.failed(describe(e.getCause()));
    } catch (InterruptedException e) {
      running.cancel(true);
      Thread.currentThread().interrupt();
      return Result.failed("the selftest was interrupted");
    }
  }

  /** Deletes what checks that gave up left behind, then the directory; returns why it could not. */
  private static String removeDirectory(Path directory, List<String> notes) {
    try {
      try (DirectoryStream<Path> left = Files.newDirectoryStream(directory)) {
        for (Path path : left) {
          notes.add("removed " + path + ", left behind by a check");
          Files.deleteIfExists(path);
        }
      }
      Files.delete(directory);
      return null;
    } catch (IOException | RuntimeException e) {
      return "cannot remove the temporary directory " + directory + ": " + describe(e);
    }
  }

  // ---------------------------------------------------------------- the report

  private int print(
      PrintStream out,
      List<RowResult> rows,
      List<String> notes,
      List<String> runFailures,
      long start) {
    List<String> headers = new ArrayList<>(List.of("transport", "kind", AVAILABLE.header));
    for (Check check : checks) {
      headers.add(check.header);
    }
    headers.add("time");
    int[] widths = new int[headers.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = headers.get(i).length();
    }
    List<List<String>> lines = new ArrayList<>();
    for (RowResult row : rows) {
      List<String> cells = new ArrayList<>(List.of(row.transport, row.kind.label));
      if (row.spanning != null) {
        cells.add("n/a (" + row.spanning + ")");
      } else {
        for (Result result : row.cells) {
          cells.add(result.cell());
        }
        cells.add(seconds(row.nanos));
      }
      lines.add(cells);
      int measured = row.spanning != null ? 2 : cells.size();
      for (int i = 0; i < measured; i++) {
        widths[i] = Math.max(widths[i], cells.get(i).length());
      }
    }
    out.println(tableLine(headers, widths));
    for (List<String> line : lines) {
      out.println(tableLine(line, widths));
    }

    int ok = 0;
    int failed = 0;
    int notApplicable = 0;
    List<String> failures = new ArrayList<>();
    for (RowResult row : rows) {
      if (row.spanning != null) {
        notApplicable += 1 + checks.size();
        continue;
      }
      for (int i = 0; i < row.cells.size(); i++) {
        Result result = row.cells.get(i);
        switch (result.status) {
          case OK:
            ok++;
            break;
          case NA:
            notApplicable++;
            break;
          default:
            failed++;
            failures.add(
                "  "
                    + row.transport
                    + " "
                    + row.kind.label
                    + ", "
                    + headers.get(i + 2)
                    + ": "
                    + result.text);
        }
      }
    }
    // failures of the run as a whole, not of one transport's row
    for (String failure : runFailures) {
      failed++;
      failures.add("  " + failure);
    }
    if (!failures.isEmpty()) {
      out.println();
      out.println("Failures:");
      failures.forEach(out::println);
    }
    if (!notes.isEmpty()) {
      out.println();
      out.println("Notes:");
      notes.forEach(note -> out.println("  " + note));
    }
    out.println();
    int status = failed == 0 ? 0 : Main.FAILURE;
    out.println(
        "summary: "
            + ok
            + " ok, "
            + failed
            + " failed, "
            + notApplicable
            + " n/a; "
            + (failed == 0 ? "every check that applies here passed" : failed + " FAILED")
            + " (exit "
            + status
            + "); elapsed "
            + seconds(System.nanoTime() - start));
    return status;
  }

  private static String tableLine(List<String> cells, int[] widths) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        b.append("  ");
      }
      b.append(cells.get(i));
      if (i < cells.size() - 1) {
        b.append(" ".repeat(Math.max(0, widths[i] - cells.get(i).length())));
      }
    }
    return b.toString();
  }

  static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }

  /** The failure's message alone for a check's own verdict; class and message for the rest. */
  static String describe(Throwable t) {
    while ((t instanceof ExecutionException || t instanceof CompletionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof CheckFailure) {
      return t.getMessage();
    }
    StringBuilder b = new StringBuilder(t.getClass().getSimpleName());
    if (t.getMessage() != null) {
      b.append(": ").append(t.getMessage());
    }
    for (Throwable cause = t.getCause();
        cause != null && cause != cause.getCause();
        cause = cause.getCause()) {
      b.append("; caused by ").append(cause.getClass().getSimpleName());
      if (cause.getMessage() != null) {
        b.append(": ").append(cause.getMessage());
      }
    }
    return b.toString();
  }

  // ---------------------------------------------------------------- the checks

  /** Whether the transport runs this kind of socket at all: a server, a client, an accepted end. */
  private static final Check AVAILABLE =
      new Check(
          "available",
          probe -> {
            if (probe.row.kind == Kind.TCP6 && ipv6LoopbackUnavailable().isPresent()) {
              return Result.na(ipv6LoopbackUnavailable().get());
            }
            try {
              probe.pair();
            } catch (UnsupportedOperationException e) {
              return Result.na("not supported here: " + e.getMessage());
            }
            return Result.ok();
          });

  /** The columns after "available", in the order they are printed. */
  static List<Check> standardChecks() {
    return List.of(
        new Check("echo 1 B", echo(1)),
        new Check("echo 64 KiB", echo(64 * KIB)),
        new Check("echo 16 MiB", echo(LARGEST_ECHO)),
        new Check("peek", SelfTest::peek),
        new Check("refused", SelfTest::refused),
        new Check("disconnect", SelfTest::disconnect),
        new Check("file 0600", SelfTest::socketFile),
        new Check("peer creds", SelfTest::peerCredentials),
        new Check("poller x" + POLLED_STREAMS, SelfTest::poller),
        new Check("whenReady", SelfTest::whenReady));
  }

  /**
   * {@code size} bytes there and back, CRC-checked, the client writing and reading at once while an
   * echo server on another thread reads and writes back: 16 MiB cannot wait in the buffers.
   */
  private static Body echo(int size) {
    return probe -> {
      Pair pair = probe.pair();
      byte[] data = probe.row.context.payload;
      Future<Long> server = probe.background(() -> echoBack(probe, pair.accepted, size));
      StreamSocket client = pair.client;
      CRC32 sent = new CRC32();
      sent.update(data, 0, size);
      CRC32 back = new CRC32();
      byte[] in = new byte[64 * KIB];
      int written = 0;
      long received = 0;
      while (received < size) {
        boolean moved = false;
        if (written < size) {
          int n = client.writeToStream(data, written, size);
          written += n;
          moved = n > 0;
        }
        int n = client.readFromStream(in);
        if (n > 0) {
          back.update(in, 0, n);
          received += n;
          moved = true;
        }
        if (moved) {
          continue;
        }
        // Having echoed everything, the server may well be done before the last bytes are back.
        if (server.isDone() && failure(server) != null) {
          throw new CheckFailure(
              "the echo server failed with "
                  + received
                  + " of "
                  + size
                  + " bytes back: "
                  + failure(server));
        }
        Set<SocketEvent> wanted =
            written < size
                ? EnumSet.of(DATA_AVAILABLE, READY_TO_WRITE, REMOTE_DISCONNECTED)
                : EnumSet.of(DATA_AVAILABLE, REMOTE_DISCONNECTED);
        // In slices, so that an echo server that failed is noticed before the deadline.
        Set<SocketEvent> ready = client.poll(wanted, SLICE);
        if (ready.isEmpty()) {
          probe.checkTime(received + " of " + size + " bytes back, " + written + " written");
        } else if (ready.contains(REMOTE_DISCONNECTED) && !client.dataAvailable()) {
          throw new CheckFailure(
              "the echo server's end disconnected with "
                  + received
                  + " of "
                  + size
                  + " bytes back");
        }
      }
      if (received != size || back.getValue() != sent.getValue()) {
        throw new CheckFailure(
            "CRC32 differs: "
                + received
                + " bytes came back with CRC32 "
                + Long.toHexString(back.getValue())
                + "; sent "
                + size
                + " with CRC32 "
                + Long.toHexString(sent.getValue()));
      }
      long echoed;
      try {
        echoed = server.get(Math.max(0, probe.nanosLeft()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw new CheckFailure("timed out: the echo server did not finish");
      } catch (ExecutionException e) {
        throw new CheckFailure("echo server: " + describe(e.getCause()));
      }
      if (echoed != size) {
        throw new CheckFailure("the echo server echoed " + echoed + " bytes, not " + size);
      }
      return Result.ok();
    };
  }

  /** The echo server: reads whatever is there and writes it back, until {@code size} bytes. */
  private static long echoBack(Probe probe, StreamSocket stream, int size) throws Exception {
    byte[] chunk = new byte[64 * KIB];
    long echoed = 0;
    while (echoed < size) {
      int n = stream.readFromStream(chunk, 0, (int) Math.min(chunk.length, size - echoed));
      if (n == 0) {
        Set<SocketEvent> ready =
            probe.await(
                stream,
                EnumSet.of(DATA_AVAILABLE, REMOTE_DISCONNECTED),
                "the echo server to get bytes (" + echoed + " of " + size + " echoed)");
        if (ready.contains(REMOTE_DISCONNECTED) && !stream.dataAvailable()) {
          throw new CheckFailure(
              "the client disconnected after " + echoed + " of " + size + " bytes");
        }
        continue;
      }
      writeAll(probe, stream, chunk, 0, n, "the echo server to write back");
      echoed += n;
    }
    return echoed;
  }

  /** A peek returns the bytes the next read consumes, and consumes nothing itself. */
  private static Result peek(Probe probe) throws Exception {
    Pair pair = probe.pair();
    byte[] message = Arrays.copyOfRange(probe.row.context.payload, 0, 1000);
    writeAll(probe, pair.accepted, message, 0, message.length, "the peer to write");
    StreamSocket client = pair.client;
    probe.await(client, EnumSet.of(DATA_AVAILABLE), "the bytes to peek at");
    byte[] first = new byte[message.length];
    int peeked = client.readFromStream(first, 0, first.length, true);
    byte[] second = new byte[message.length];
    int again = client.readFromStream(second, 0, second.length, true);
    if (peeked < 1 || again < peeked) {
      throw new CheckFailure(
          "peeks disagree: one peek copied " + peeked + " bytes, the next " + again);
    }
    if (!Arrays.equals(first, 0, peeked, message, 0, peeked)
        || !Arrays.equals(second, 0, peeked, message, 0, peeked)) {
      throw new CheckFailure("wrong bytes: a peek copied bytes other than those written");
    }
    byte[] read = new byte[peeked];
    int consumed = client.readFromStream(read, 0, peeked);
    if (consumed != peeked || !Arrays.equals(read, first)) {
      throw new CheckFailure(
          "read after peek differs: after peeking at "
              + peeked
              + " bytes, a read returned "
              + consumed
              + (consumed == peeked ? " other bytes" : " bytes"));
    }
    byte[] rest = readExactly(probe, client, message.length - peeked, "the rest of the message");
    if (!Arrays.equals(rest, 0, rest.length, message, peeked, message.length)) {
      throw new CheckFailure("wrong bytes: those after the peeked ones differ from those written");
    }
    return Result.ok();
  }

  /** A connect where nothing listens fails, and says so. */
  private static Result refused(Probe probe) throws Exception {
    Row row = probe.row;
    switch (row.kind) {
      case TCP:
      case TCP6:
        // A bound socket that does not listen holds the port, so no one else can take it meanwhile.
        try (Socket holder = new Socket()) {
          holder.bind(new InetSocketAddress(row.kind.loopback, 0));
          int port = holder.getLocalPort();
          String where = row.kind.where(port);
          StreamSocket stream = probe.keep(row.connect(port));
          Set<SocketEvent> ended =
              probe.await(
                  stream,
                  EnumSet.of(CONNECTION_FAILED, CONNECTION_SUCCEEDED),
                  "the connect to " + where + ", where nothing listens, to end");
          if (ended.contains(CONNECTION_SUCCEEDED) || !stream.determined()) {
            throw new CheckFailure(
                "not refused: a connect to "
                    + where
                    + ", where nothing listens, "
                    + "ended with "
                    + ended
                    + ", determined "
                    + stream.determined());
          }
        }
        return Result.ok();
      case LOCAL:
        {
          Path missing = row.newPath("missing");
          try {
            probe.keep(row.ipc.connectToLocalServer(missing));
          } catch (NoLocalServerException expected) {
            return Result.ok();
          }
          throw new CheckFailure(
              "not refused: connectToLocalServer("
                  + missing
                  + ") returned a stream, not "
                  + "NoLocalServerException");
        }
      default:
        {
          String missing = row.newName();
          try {
            probe.keep(row.ipc.connectToAbstractLocalServer(missing));
          } catch (NoLocalServerException expected) {
            return Result.ok();
          }
          throw new CheckFailure(
              "not refused: connectToAbstractLocalServer(\""
                  + missing
                  + "\") returned a stream, not NoLocalServerException");
        }
    }
  }

  /** The peer writes and closes: the disconnect shows, and every byte it wrote is still there. */
  private static Result disconnect(Probe probe) throws Exception {
    Pair pair = probe.pair();
    byte[] data = probe.row.context.payload;
    writeAll(probe, pair.accepted, data, 0, DISCONNECT_BYTES, "the peer to write");
    pair.accepted.close();
    StreamSocket client = pair.client;
    probe.await(
        client,
        EnumSet.of(REMOTE_DISCONNECTED),
        "REMOTE_DISCONNECTED after the peer wrote " + DISCONNECT_BYTES + " bytes and closed");
    if (!client.determined()
        || !client.connectionFailed()
        || client.connectionSucceeded()
        || client.readyToWrite()) {
      throw new CheckFailure(
          "wrong state with REMOTE_DISCONNECTED: determined "
              + client.determined()
              + ", connectionFailed "
              + client.connectionFailed()
              + ", connectionSucceeded "
              + client.connectionSucceeded()
              + ", readyToWrite "
              + client.readyToWrite());
    }
    byte[] kept = new byte[DISCONNECT_BYTES + 1];
    int got = 0;
    for (int n; got < kept.length && (n = client.readFromStream(kept, got, kept.length)) > 0; ) {
      got += n;
    }
    if (got != DISCONNECT_BYTES) {
      throw new CheckFailure(
          "bytes lost: with REMOTE_DISCONNECTED, "
              + got
              + " of the "
              + DISCONNECT_BYTES
              + " bytes written before it were readable");
    }
    if (!Arrays.equals(kept, 0, got, data, 0, got)) {
      throw new CheckFailure(
          "wrong bytes: those kept after the disconnect differ from those written");
    }
    if (client.dataAvailable()) {
      throw new CheckFailure("DATA_AVAILABLE still held after every byte written was read");
    }
    return Result.ok();
  }

  /** A local server's file is private, never replaces what is there, and goes when it closes. */
  private static Result socketFile(Probe probe) throws Exception {
    Row row = probe.row;
    if (row.kind != Kind.LOCAL) {
      return Result.na(row.kind.isTcp() ? "local only" : "no file");
    }
    Path path = row.newPath("s");
    LocalServer server = probe.keep(row.ipc.makeLocalServer(path));
    PosixFileAttributes attributes;
    try {
      attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException e) {
      return Result.na("no POSIX file modes here");
    }
    Set<PosixFilePermission> ownerOnly =
        EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    if (!attributes.isOther() || !attributes.permissions().equals(ownerOnly)) {
      throw new CheckFailure(
          (attributes.isOther() ? "" : "not a socket, ")
              + "mode "
              + PosixFilePermissions.toString(attributes.permissions())
              + ", not rw-------: "
              + path);
    }

    refuseToReplace(probe, path, "a live server's socket");
    // The live server still has its file: a client still gets through to it.
    probe.keep(row.ipc.connectToLocalServer(path));
    probe.await(
        server,
        EnumSet.of(CONNECTION_AVAILABLE),
        "a connection to the first server after the second failed");

    Path file = row.newPath("file");
    byte[] content =
        ("bbipc selftest: this file must stay as it is, " + System.nanoTime())
            .getBytes(StandardCharsets.UTF_8);
    Files.write(file, content);
    try {
      refuseToReplace(probe, file, "a regular file");
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
          || !Arrays.equals(Files.readAllBytes(file), content)) {
        throw new CheckFailure(
            "clobbered a regular file: the failed makeLocalServer changed " + file);
      }
    } finally {
      Files.deleteIfExists(file);
    }

    server.close();
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      throw new CheckFailure("left after close(): the socket file " + path);
    }
    return Result.ok();
  }

  private static void refuseToReplace(Probe probe, Path path, String what) throws CheckFailure {
    try {
      probe.keep(probe.row.ipc.makeLocalServer(path));
    } catch (IpcException expected) {
      return;
    }
    throw new CheckFailure(
        "clobbered "
            + what
            + ": makeLocalServer("
            + path
            + ") made a server, not "
            + "IpcException");
  }

  /** Each end of a local stream is told who is at the other: this very process. */
  private static Result peerCredentials(Probe probe) throws Exception {
    Row row = probe.row;
    if (row.kind.isTcp()) {
      return Result.na("local only");
    }
    Pair pair = probe.pair();
    Optional<PeerCredentials> ofClient = ((LocalStream) pair.accepted).peerCredentials();
    Optional<PeerCredentials> ofServer = ((LocalStream) pair.client).peerCredentials();
    if (!row.transport.hasPeerCredentials() && ofClient.isEmpty() && ofServer.isEmpty()) {
      return Result.na("not supported here");
    }
    if (ofClient.isEmpty() || ofServer.isEmpty()) {
      throw new CheckFailure(
          "no peer credentials on the "
              + (ofClient.isEmpty() ? "accepted" : "connecting")
              + " end, though transport "
              + row.transport.name()
              + " reports them");
    }
    Integer uid = row.context.uid;
    if (uid == null) {
      throw new CheckFailure("cannot tell this process's uid to compare with " + ofClient.get());
    }
    if (ofClient.get().uid() != uid || ofServer.get().uid() != uid) {
      throw new CheckFailure(
          "wrong uid: "
              + ofClient.get().uid()
              + " at the accepted end, "
              + ofServer.get().uid()
              + " at the connecting end; this process's uid is "
              + uid);
    }
    return Result.ok();
  }

  /** One poller over many accepted streams reports each that has data, and only those. */
  private static Result poller(Probe probe) throws Exception {
    Row row = probe.row;
    StreamServer server = probe.keep(row.listen());
    List<StreamSocket> clients = new ArrayList<>();
    for (int i = 0; i < POLLED_STREAMS; i++) {
      clients.add(probe.keep(row.connect(server)));
    }
    List<StreamSocket> accepted = new ArrayList<>();
    while (accepted.size() < POLLED_STREAMS) {
      if (!server.connectionAvailable()) {
        probe.await(
            server,
            EnumSet.of(CONNECTION_AVAILABLE),
            "connection " + (accepted.size() + 1) + " of " + POLLED_STREAMS + " to accept");
      }
      accepted.add(probe.keep(server.acceptConnection()));
    }
    Set<IpcSocket> watched = Collections.newSetFromMap(new IdentityHashMap<>());
    watched.addAll(accepted);
    Poller poller = probe.keep(row.ipc.makePoller());
    for (StreamSocket stream : accepted) {
      poller.monitorSocket(stream, EnumSet.of(DATA_AVAILABLE));
    }
    List<PollResult> early = poller.waitForEvents(Timeout.IMMEDIATE);
    if (!early.isEmpty()) {
      throw new CheckFailure(
          "reported " + early.size() + " streams with data before any client wrote");
    }
    for (int i = 0; i < POLLED_STREAMS; i++) {
      StreamSocket client = clients.get(i);
      Set<SocketEvent> ended =
          probe.await(
              client,
              EnumSet.of(CONNECTION_SUCCEEDED, CONNECTION_FAILED),
              "client " + (i + 1) + " of " + POLLED_STREAMS + " to connect");
      if (!ended.contains(CONNECTION_SUCCEEDED)) {
        throw new CheckFailure(
            "client " + (i + 1) + " of " + POLLED_STREAMS + " failed to connect");
      }
      writeAll(probe, client, new byte[] {(byte) i}, 0, 1, "client " + (i + 1) + " to write");
    }
    /*
     * Events are level-triggered: a stream reported stays reported while its byte waits. So each
     * one reported is set aside, as a server that reads it would, and every call that reports
     * anything reports a stream not seen before: at most one call per stream.
     */
    Set<IpcSocket> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    int calls = 0;
    while (seen.size() < POLLED_STREAMS) {
      if (calls == POLLED_STREAMS) {
        throw new CheckFailure(
            calls
                + " calls of waitForEvents reported "
                + seen.size()
                + " of "
                + POLLED_STREAMS
                + " streams with data");
      }
      probe.checkTime(
          calls
              + " calls of waitForEvents reported "
              + seen.size()
              + " of "
              + POLLED_STREAMS
              + " streams with data");
      List<PollResult> results = poller.waitForEvents(probe.left());
      if (!results.isEmpty()) {
        calls++;
      }
      for (PollResult result : results) {
        if (!watched.contains(result.socket()) || seen.contains(result.socket())) {
          throw new CheckFailure("reported a socket it does not monitor: " + result.socket());
        }
        if (!result.events().equals(EnumSet.of(DATA_AVAILABLE))) {
          throw new CheckFailure(
              "reported " + result.events() + " for a stream monitored for DATA_AVAILABLE");
        }
        seen.add(result.socket());
        poller.unmonitorSocket(result.socket());
      }
    }
    // Monitored again, all of them still hold their byte, so one call reports them all.
    for (StreamSocket stream : accepted) {
      poller.monitorSocket(stream, EnumSet.of(DATA_AVAILABLE));
    }
    int together = poller.waitForEvents(Timeout.IMMEDIATE).size();
    if (together != POLLED_STREAMS) {
      throw new CheckFailure(
          "with all " + POLLED_STREAMS + " streams holding data, one call reported " + together);
    }
    BitSet bytes = new BitSet();
    byte[] one = new byte[2];
    for (StreamSocket stream : accepted) {
      if (stream.readFromStream(one) != 1) {
        throw new CheckFailure(
            "an accepted stream reported with data did not hold exactly one byte");
      }
      bytes.set(one[0] & 0xff);
    }
    if (bytes.cardinality() != POLLED_STREAMS) {
      throw new CheckFailure(
          "the accepted streams held "
              + bytes.cardinality()
              + " different bytes, not "
              + POLLED_STREAMS);
    }
    return Result.ok();
  }

  /** A future for DATA_AVAILABLE completes once the peer writes, and not before. */
  private static Result whenReady(Probe probe) throws Exception {
    Pair pair = probe.pair();
    CompletableFuture<Set<SocketEvent>> ready = pair.client.whenReady(EnumSet.of(DATA_AVAILABLE));
    if (ready.isDone()) {
      throw new CheckFailure(
          "completed too soon, before the peer wrote anything: " + outcome(ready));
    }
    writeAll(probe, pair.accepted, new byte[] {42}, 0, 1, "the peer to write");
    Set<SocketEvent> events;
    try {
      events = ready.get(Math.max(0, probe.nanosLeft()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new CheckFailure("timed out: the future did not complete after the peer wrote");
    }
    if (!events.contains(DATA_AVAILABLE)) {
      throw new CheckFailure("no DATA_AVAILABLE: the future completed with " + events);
    }
    byte[] one = new byte[1];
    if (pair.client.readFromStream(one) != 1 || one[0] != 42) {
      throw new CheckFailure(
          "no byte: after the future completed, the byte the peer wrote was not there");
    }
    return Result.ok();
  }

  // ---------------------------------------------------------------- helpers of the checks

  private static void writeAll(
      Probe probe, StreamSocket stream, byte[] bytes, int from, int to, String what)
      throws Exception {
    int at = from;
    while (true) {
      at += stream.writeToStream(bytes, at, to);
      if (at == to) {
        return;
      }
      Set<SocketEvent> ready =
          probe.await(stream, EnumSet.of(READY_TO_WRITE, REMOTE_DISCONNECTED), what);
      if (ready.contains(REMOTE_DISCONNECTED)) {
        throw new CheckFailure(
            what + ": the peer disconnected with " + (to - at) + " bytes unwritten");
      }
    }
  }

  private static byte[] readExactly(Probe probe, StreamSocket stream, int length, String what)
      throws Exception {
    byte[] bytes = new byte[length];
    int read = 0;
    while (read < length) {
      int n = stream.readFromStream(bytes, read, length);
      read += n;
      if (n == 0) {
        Set<SocketEvent> ready =
            probe.await(stream, EnumSet.of(DATA_AVAILABLE, REMOTE_DISCONNECTED), what);
        if (ready.contains(REMOTE_DISCONNECTED) && !stream.dataAvailable()) {
          throw new CheckFailure(
              what + ": the peer disconnected after " + read + " of " + length + " bytes");
        }
      }
    }
    return bytes;
  }

  /** How a future completed: its value, or why not. */
  private static String outcome(CompletableFuture<?> future) {
    String failure = failure(future);
    return failure != null ? failure : "completed with " + future.getNow(null);
  }

  /** Why a completed future failed, or null if it did not. */
  private static String failure(Future<?> future) {
    try {
      future.get(0, TimeUnit.NANOSECONDS);
      return null;
    } catch (ExecutionException e) {
      return describe(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    } catch (TimeoutException | RuntimeException e) {
      return describe(e);
    }
  }

  /**
   * The effective uid, which peer credentials report: the owner the kernel gives a new file, or on
   * Linux the owner of /proc/self; null when neither tells.
   */
  private static Integer ownUid(Path directory) {
    List<Path> owned =
        directory == null
            ? List.of(Path.of("/proc/self"))
            : List.of(directory, Path.of("/proc/self"));
    for (Path path : owned) {
      try {
        // Links followed: /proc/self is one, to the process's own directory.
        return (Integer) Files.getAttribute(path, "unix:uid");
      } catch (IOException | RuntimeException e) {
        // try the next
      }
    }
    return null;
  }

  private static byte[] payload() {
    byte[] bytes = new byte[LARGEST_ECHO];
    new Random(0x5e1f7e57L).nextBytes(bytes);
    return bytes;
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger count = new AtomicInteger();
    return task -> {
      Thread thread = new Thread(task, "bbipc-selftest-" + count.incrementAndGet());
      // A check that ignores its interrupt must not keep the JVM alive.
      thread.setDaemon(true);
      return thread;
    };
  }

  // ---------------------------------------------------------------- the types

  /** The kinds of socket, one row each per transport. */
  enum Kind {
    TCP("tcp", "127.0.0.1"),
    TCP6("tcp6", "::1"),
    LOCAL("local", null),
    ABSTRACT("abstract", null);

    final String label;

    /** The loopback address of a TCP kind, null for the others. */
    final String loopback;

    Kind(String label, String loopback) {
      this.label = label;
      this.loopback = loopback;
    }

    boolean isTcp() {
      return loopback != null;
    }

    /** A port on this TCP kind's loopback address, as text. */
    String where(int port) {
      return (this == TCP6 ? "[" + loopback + "]" : loopback) + ":" + port;
    }
  }

  /**
   * Why this machine has no IPv6 loopback (a JDK socket cannot bind ::1), found out once; empty
   * where it has one.
   */
  static Optional<String> ipv6LoopbackUnavailable() {
    return Ipv6Loopback.UNAVAILABLE;
  }

  /** Probes ::1 on first use. */
  private static final class Ipv6Loopback {
    static final Optional<String> UNAVAILABLE = probe();

    private static Optional<String> probe() {
      try (java.nio.channels.ServerSocketChannel ch =
          java.nio.channels.ServerSocketChannel.open()) {
        ch.bind(new InetSocketAddress("::1", 0));
        return Optional.empty();
      } catch (IOException | RuntimeException e) {
        return Optional.of("no IPv6 loopback here: " + describe(e));
      }
    }
  }

  enum Status {
    OK,
    FAILED,
    NA
  }

  /** A check's verdict: for FAILED the full reason, for NA why the check does not apply. */
  static final class Result {
    final Status status;
    final String text;

    private Result(Status status, String text) {
      this.status = status;
      this.text = text;
    }

    static Result ok() {
      return new Result(Status.OK, "");
    }

    static Result na(String why) {
      return new Result(Status.NA, why);
    }

    static Result failed(String reason) {
      return new Result(Status.FAILED, reason);
    }

    String cell() {
      switch (status) {
        case OK:
          return "ok";
        case NA:
          return "n/a (" + text + ")";
        default:
          String brief = text.replaceAll("\\s+", " ");
          return "FAILED: "
              + (brief.length() <= CELL_REASON
                  ? brief
                  : brief.substring(0, CELL_REASON - 3) + "...");
      }
    }
  }

  /** What a check does; it returns its verdict or throws, a {@link CheckFailure} for its own. */
  @FunctionalInterface
  interface Body {
    Result run(Probe probe) throws Exception;
  }

  /** A column of the table. */
  static final class Check {
    final String header;
    final Body body;

    Check(String header, Body body) {
      this.header = header;
      this.body = body;
    }
  }

  /** A check's verdict that something does not work, with the reason. */
  static final class CheckFailure extends Exception {
    private static final long serialVersionUID = 1L;

    CheckFailure(String reason) {
      super(reason);
    }
  }

  /** What every row shares. */
  private static final class Context {
    final ExecutorService pool;

    /** Null when it could not be made. */
    final Path directory;

    /** Null when it cannot be told. */
    final Integer uid;

    final byte[] payload;
    final String abstractPrefix;
    final AtomicInteger names = new AtomicInteger();

    Context(
        ExecutorService pool, Path directory, Integer uid, byte[] payload, String abstractPrefix) {
      this.pool = pool;
      this.directory = directory;
      this.uid = uid;
      this.payload = payload;
      this.abstractPrefix = abstractPrefix;
    }
  }

  /** One transport and one kind of socket: a row of the table. */
  static final class Row {
    final TransportProvider transport;
    final Ipc ipc;
    final Kind kind;
    private final Context context;

    Row(TransportProvider transport, Ipc ipc, Kind kind, Context context) {
      this.transport = transport;
      this.ipc = ipc;
      this.kind = kind;
      this.context = context;
    }

    StreamServer listen() throws IpcException {
      switch (kind) {
        case TCP:
          return ipc.makeIpv4TcpServer(kind.loopback, 0);
        case TCP6:
          return ipc.makeIpv6TcpServer(kind.loopback, 0);
        case LOCAL:
          return ipc.makeLocalServer(newPath("s"));
        default:
          return ipc.makeAbstractLocalServer(newName(), ServerOptions.defaults());
      }
    }

    StreamSocket connect(StreamServer server) throws IpcException {
      switch (kind) {
        case TCP:
          return connect(((Ipv4TcpServer) server).port());
        case TCP6:
          return connect(((Ipv6TcpServer) server).port());
        case LOCAL:
          return ipc.connectToLocalServer(((LocalServer) server).localPathname());
        default:
          // An abstract server reports its name as the path "@name".
          return ipc.connectToAbstractLocalServer(
              ((LocalServer) server).localPathname().toString().substring(1));
      }
    }

    /** A TCP stream connecting to a port on the row's loopback address. */
    StreamSocket connect(int port) throws IpcException {
      return kind == Kind.TCP6
          ? ipc.connectToIpv6TcpServer(kind.loopback, port)
          : ipc.connectToIpv4TcpServer(kind.loopback, port);
    }

    /** A path no one has used, short enough for any system's limit on socket paths. */
    Path newPath(String stem) {
      if (context.directory == null) {
        throw new IllegalStateException("there is no temporary directory");
      }
      return context.directory.resolve(stem + context.names.incrementAndGet() + ".sock");
    }

    String newName() {
      return context.abstractPrefix + context.names.incrementAndGet();
    }

    String transportName() {
      return transport.name();
    }
  }

  /** A server, a client connected to it and the accepted end. */
  static final class Pair {
    final StreamServer server;
    final StreamSocket client;
    final StreamSocket accepted;

    Pair(StreamServer server, StreamSocket client, StreamSocket accepted) {
      this.server = server;
      this.client = client;
      this.accepted = accepted;
    }
  }

  /**
   * One check's run on one row: its deadline, and everything it opens, closed when it ends
   * whichever way it ends.
   */
  static final class Probe implements AutoCloseable {
    final Row row;
    private final long deadline;
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    private final List<Future<?>> background = new ArrayList<>();

    Probe(Row row, long deadline) {
      this.row = row;
      this.deadline = deadline;
    }

    synchronized <T extends AutoCloseable> T keep(T resource) {
      opened.push(resource);
      return resource;
    }

    <T> Future<T> background(Callable<T> task) {
      Future<T> future = row.context.pool.submit(task);
      synchronized (this) {
        background.add(future);
      }
      return future;
    }

    long nanosLeft() {
      return deadline - System.nanoTime();
    }

    Timeout left() {
      return Timeout.of(Duration.ofNanos(Math.max(0, nanosLeft())));
    }

    /** Throws if the deadline has passed or the check was interrupted, saying how far it got. */
    void checkTime(String progress) throws CheckFailure {
      if (Thread.currentThread().isInterrupted()) {
        throw new CheckFailure("interrupted: " + progress);
      }
      if (nanosLeft() <= 0) {
        throw new CheckFailure("timed out: " + progress);
      }
    }

    /** Waits for any of {@code events} until the deadline; a poll may end early with none. */
    Set<SocketEvent> await(IpcSocket socket, Set<SocketEvent> events, String what)
        throws IpcException, CheckFailure {
      while (true) {
        Set<SocketEvent> ready = socket.poll(events, left());
        if (!ready.isEmpty()) {
          return ready;
        }
        checkTime("no " + events + " while waiting for " + what);
      }
    }

    /** A connected pair of the row's kind, kept for closing. */
    Pair pair() throws Exception {
      StreamServer server = keep(row.listen());
      StreamSocket client = keep(row.connect(server));
      await(server, EnumSet.of(CONNECTION_AVAILABLE), "the connection to accept");
      StreamSocket accepted = keep(server.acceptConnection());
      Set<SocketEvent> ended =
          await(
              client, EnumSet.of(CONNECTION_SUCCEEDED, CONNECTION_FAILED), "the client to connect");
      if (!ended.contains(CONNECTION_SUCCEEDED)) {
        throw new CheckFailure("the client's connection failed although the server accepted it");
      }
      return new Pair(server, client, accepted);
    }

    @Override
    public synchronized void close() {
      for (Future<?> future : background) {
        future.cancel(true);
      }
      while (!opened.isEmpty()) {
        try {
          opened.pop().close();
        } catch (Exception e) {
          // Sockets and pollers throw nothing on close; nothing else is kept.
        }
      }
    }
  }

  /** A row of the table: the cells, or one reason none of them applies. */
  private static final class RowResult {
    final String transport;
    final Kind kind;
    final List<Result> cells;
    final String spanning;
    final long nanos;

    RowResult(String transport, Kind kind, List<Result> cells, String spanning, long nanos) {
      this.transport = transport;
      this.kind = kind;
      this.cells = cells;
      this.spanning = spanning;
      this.nanos = nanos;
    }

    static RowResult spanning(String transport, Kind kind, String why) {
      return new RowResult(transport, kind, List.of(), why, 0);
    }
  }
}
