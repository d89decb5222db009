package io.bbipc.examples.selftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.examples.Main;
import io.bbipc.spi.TransportProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfTestTest {
  private static final List<String> STANDARD_HEADERS =
      List.of(
          "transport",
          "kind",
          "available",
          "echo 1 B",
          "echo 64 KiB",
          "echo 16 MiB",
          "peek",
          "refused",
          "disconnect",
          "file 0600",
          "peer creds",
          "poller x" + PollerCheck.STREAMS,
          "whenReady",
          "time");
  private static final Pattern SUMMARY =
      Pattern.compile(
          "summary: (\\d+) ok, (\\d+) failed, (\\d+) n/a; .* \\(exit (\\d)\\); elapsed (\\d+\\.\\d) s");
  private static final Pattern DIRECTORY =
      Pattern.compile("local sockets in (.+), removed at the end");
  private static final Duration SETTLE = Duration.ofSeconds(10);

  private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

  @TempDir Path tempParent;

  private String out() {
    return outBytes.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return errBytes.toString(StandardCharsets.UTF_8);
  }

  private int main(String... args) {
    try (PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8)) {
      return Main.run(args, out, err);
    }
  }

  private int execute(SelfTest selfTest) {
    try (PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8)) {
      return selfTest.execute(out);
    }
  }

  @Test
  void everyCheckThatAppliesHerePassesAndNothingIsLeftBehind() throws Exception {
    Set<Thread> threadsBefore = Thread.getAllStackTraces().keySet();
    long handlesBefore = kernelHandles();

    int status = main("selftest");
    String out = out();
    System.out.println(out);
    assertEquals(0, status, out);
    assertEquals("", err());

    Report report = Report.parse(out, STANDARD_HEADERS);
    List<String> expectedRows = new ArrayList<>();
    for (TransportProvider transport : RowRunner.transports()) {
      for (Kind kind : Kind.values()) {
        expectedRows.add(transport.name() + " " + kind.label);
      }
    }
    assertEquals(expectedRows, new ArrayList<>(report.rows.keySet()), out);
    assertEquals("nio", RowRunner.transports().get(RowRunner.transports().size() - 1).name());

    int ok = 0;
    int notApplicable = 0;
    for (TransportProvider transport : RowRunner.transports()) {
      for (Kind kind : Kind.values()) {
        String key = transport.name() + " " + kind.label;
        List<String> cells = report.rows.get(key);
        if (!transport.isAvailable()) {
          assertEquals(
              List.of("n/a (unavailable: " + transport.unavailabilityCause() + ")"), cells, key);
          notApplicable += STANDARD_HEADERS.size() - 3;
          continue;
        }
        if (kind == Kind.ABSTRACT && !transport.hasAbstractNamespace()) {
          assertEquals(1, cells.size(), key + ": " + cells);
          assertTrue(cells.get(0).startsWith("n/a (not supported here: "), key + ": " + cells);
          notApplicable += STANDARD_HEADERS.size() - 3;
          continue;
        }
        if (kind == Kind.TCP6 && Ipv6Loopback.unavailable().isPresent()) {
          assertEquals(List.of("n/a (" + Ipv6Loopback.unavailable().get() + ")"), cells, key);
          notApplicable += STANDARD_HEADERS.size() - 3;
          continue;
        }
        List<String> expected = new ArrayList<>();
        for (String header : STANDARD_HEADERS.subList(2, STANDARD_HEADERS.size() - 1)) {
          String cell = "ok";
          if (header.equals("file 0600") && kind != Kind.LOCAL) {
            cell = kind.isTcp() ? "n/a (local only)" : "n/a (no file)";
          } else if (header.equals("peer creds") && kind.isTcp()) {
            cell = "n/a (local only)";
          } else if (header.equals("peer creds") && !transport.hasPeerCredentials()) {
            cell = "n/a (not supported here)";
          }
          expected.add(cell);
          if (cell.equals("ok")) {
            ok++;
          } else {
            notApplicable++;
          }
        }
        assertEquals(expected, cells.subList(0, cells.size() - 1), key);
        assertTrue(cells.get(cells.size() - 1).matches("\\d+\\.\\d s"), key + ": " + cells);
      }
    }
    // NIO runs everywhere, and its TCP and local sockets with it.
    assertEquals("ok", report.cell("nio tcp", "echo 16 MiB"), out);
    if (Ipv6Loopback.unavailable().isEmpty()) {
      assertEquals("ok", report.cell("nio tcp6", "echo 16 MiB"), out);
    }
    assertEquals("ok", report.cell("nio local", "poller x" + PollerCheck.STREAMS), out);

    Matcher summary = report.summary;
    assertEquals(
        List.of(ok, 0, notApplicable, 0),
        List.of(
            Integer.parseInt(summary.group(1)),
            Integer.parseInt(summary.group(2)),
            Integer.parseInt(summary.group(3)),
            Integer.parseInt(summary.group(4))),
        summary.group());
    assertFalse(out.contains("Failures:"), out);
    assertFalse(out.contains("Notes:"), out);

    Matcher directory = DIRECTORY.matcher(out.lines().skip(2).findFirst().orElse(""));
    assertTrue(directory.matches(), out);
    assertFalse(Files.exists(Path.of(directory.group(1))), directory.group(1) + " is still there");

    assertEventually(
        () -> newBbipcThreads(threadsBefore).isEmpty(),
        () -> "threads left running: " + newBbipcThreads(threadsBefore));
    if (handlesBefore >= 0) {
      assertEventually(
          () -> kernelHandles() <= handlesBefore,
          () ->
              "sockets, pollers and event fds open: "
                  + handlesBefore
                  + " before, "
                  + kernelHandles()
                  + " after");
    }
  }

  @Test
  void aCheckThatHangsOrThrowsFailsAloneAndTheOthersStillRun() throws Exception {
    List<TransportProvider> available =
        RowRunner.transports().stream()
            .filter(TransportProvider::isAvailable)
            .collect(Collectors.toList());
    String hung = available.get(0).name();
    CountDownLatch release = new CountDownLatch(1);
    String reason =
        "a reason far longer than any cell of the table should show, "
            + "to be printed whole below it";
    List<Column> standard = SelfTest.standardColumns();
    Column echo = standard.get(0);
    Column whenReady = standard.get(standard.size() - 1);
    Column hangs =
        new Column(
            "hangs",
            probe -> {
              if (probe.row.transport.name().equals(hung) && probe.row.kind == Kind.TCP) {
                // It ignores its interrupt, as a check stuck where interrupts do not reach would.
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (release.getCount() > 0 && System.nanoTime() < end) {
                  try {
                    release.await(end - System.nanoTime(), TimeUnit.NANOSECONDS);
                  } catch (InterruptedException ignored) {
                    // keep hanging
                  }
                }
              }
              return Result.ok();
            });
    Column fails =
        new Column(
            "throws",
            probe -> {
              if (probe.row.kind == Kind.LOCAL) {
                throw new IllegalStateException(reason);
              }
              return Result.ok();
            });
    List<String> headers =
        List.of(
            "transport", "kind", "available", "echo 1 B", "hangs", "throws", "whenReady", "time");

    int status;
    try {
      status =
          execute(
              new SelfTest(
                  List.of(echo, hangs, fails, whenReady),
                  Duration.ofSeconds(1),
                  SelfTest.RUN_BUDGET,
                  tempParent));
    } finally {
      release.countDown();
    }
    String out = out();
    System.out.println(out);
    assertEquals(1, status, out);

    Report report = Report.parse(out, headers);
    int failed = 0;
    for (TransportProvider transport : available) {
      for (Kind kind : Kind.values()) {
        String key = transport.name() + " " + kind.label;
        if (kind == Kind.ABSTRACT && !transport.hasAbstractNamespace()
            || kind == Kind.TCP6 && Ipv6Loopback.unavailable().isPresent()) {
          continue;
        }
        assertEquals("ok", report.cell(key, "available"), key);
        assertEquals("ok", report.cell(key, "echo 1 B"), key);
        assertEquals("ok", report.cell(key, "whenReady"), key);
        String hangCell = report.cell(key, "hangs");
        if (transport.name().equals(hung) && kind == Kind.TCP) {
          assertEquals("FAILED: did not finish within 2.0 s", hangCell, key);
          failed++;
        } else {
          assertEquals("ok", hangCell, key);
        }
        String throwCell = report.cell(key, "throws");
        if (kind == Kind.LOCAL) {
          assertTrue(
              throwCell.startsWith("FAILED: IllegalStateException: a")
                  && throwCell.endsWith("...")
                  && throwCell.length() < reason.length(),
              key + ": " + throwCell);
          assertTrue(
              out.contains(
                  System.lineSeparator()
                      + "  "
                      + key
                      + ", throws: IllegalStateException: "
                      + reason
                      + System.lineSeparator()),
              out);
          failed++;
        } else {
          assertEquals("ok", throwCell, key);
        }
      }
    }
    assertTrue(
        out.contains(
            System.lineSeparator()
                + "  "
                + hung
                + " tcp, hangs: did not finish within 2.0 s"
                + System.lineSeparator()),
        out);
    assertEquals(failed, Integer.parseInt(report.summary.group(2)), report.summary.group());
    assertEquals(1, Integer.parseInt(report.summary.group(4)), report.summary.group());
    // The hung check was released only after the run, which did not wait for it more than briefly.
    assertTrue(
        out.contains(
            "Notes:"
                + System.lineSeparator()
                + "  a check that timed out was still running when the selftest ended"),
        out);
    assertEmpty(tempParent);
  }

  @Test
  void checksLeftWhenTheTimeIsSpentFailAsNotRun() throws Exception {
    int status =
        execute(
            new SelfTest(
                SelfTest.standardColumns(), SelfTest.CHECK_TIMEOUT, Duration.ZERO, tempParent));
    String out = out();
    assertEquals(1, status, out);
    Report report = Report.parse(out, STANDARD_HEADERS);
    int failed = 0;
    for (TransportProvider transport : RowRunner.transports()) {
      if (!transport.isAvailable()) {
        continue;
      }
      for (Kind kind : Kind.values()) {
        List<String> cells = report.rows.get(transport.name() + " " + kind.label);
        for (String cell : cells.subList(0, cells.size() - 1)) {
          assertEquals("FAILED: not run: time's up (0.0 s)", cell, out);
          failed++;
        }
      }
    }
    assertEquals(failed, Integer.parseInt(report.summary.group(2)), report.summary.group());
    assertTrue(
        out.contains(", available: not run: time's up (0.0 s)" + System.lineSeparator()), out);
    assertEmpty(tempParent);
  }

  /**
   * A {@code bbipc.transport} property that names no transport makes every {@code Ipc.create()}
   * fail, so the selftest fails too, however well each transport works (only the "available" column
   * runs here).
   */
  @Test
  void anUnknownTransportInThePropertyFailsTheRun() throws Exception {
    String before = System.getProperty("bbipc.transport");
    System.setProperty("bbipc.transport", "no-such-transport");
    int status;
    try {
      status =
          execute(new SelfTest(List.of(), SelfTest.CHECK_TIMEOUT, SelfTest.RUN_BUDGET, tempParent));
    } finally {
      if (before == null) {
        System.clearProperty("bbipc.transport");
      } else {
        System.setProperty("bbipc.transport", before);
      }
    }
    String out = out();
    assertEquals(Main.FAILURE, status, out);
    assertTrue(
        out.contains(
            "  Ipc.create(): IllegalArgumentException: unknown transport \"no-such-transport\""),
        out);
    assertTrue(out.contains(" 1 failed, "), out);
    assertEmpty(tempParent);
  }

  @Test
  void selftestTakesNoArguments() {
    assertEquals(Main.USAGE_ERROR, main("selftest", "extra"));
    assertTrue(err().startsWith("error: selftest takes no arguments"), err());
    assertEquals("", out());
  }

  @Test
  void theUsageNamesSelftest() {
    assertEquals(0, main("--help"));
    assertTrue(out().contains(System.lineSeparator() + "  selftest "), out());
  }

  // ---------------------------------------------------------------- helpers

  /** The printed table: each row's cells by "transport kind", a spanning row as one cell. */
  private static final class Report {
    final List<String> headers;
    final Map<String, List<String>> rows = new LinkedHashMap<>();
    Matcher summary;

    private Report(List<String> headers) {
      this.headers = headers;
    }

    static Report parse(String out, List<String> headers) {
      Report report = new Report(headers);
      List<String> lines = out.lines().collect(Collectors.toList());
      int at = 0;
      while (at < lines.size() && !lines.get(at).startsWith("transport  ")) {
        at++;
      }
      assertTrue(at < lines.size(), "no table in:\n" + out);
      assertEquals(headers, Arrays.asList(lines.get(at).split(" {2,}")), out);
      for (at++; at < lines.size() && !lines.get(at).isEmpty(); at++) {
        String[] cells = lines.get(at).split(" {2,}");
        assertTrue(
            cells.length == headers.size() || cells.length == 3 && cells[2].startsWith("n/a ("),
            "row with " + cells.length + " cells: " + lines.get(at));
        String key = cells[0] + " " + cells[1];
        assertTrue(
            report.rows.put(key, List.of(cells).subList(2, cells.length)) == null,
            "two rows " + key);
      }
      String last = lines.get(lines.size() - 1);
      report.summary = SUMMARY.matcher(last);
      assertTrue(report.summary.matches(), "last line: " + last);
      return report;
    }

    String cell(String row, String header) {
      List<String> cells = rows.get(row);
      assertNotNull(cells, "no row " + row + " in " + rows.keySet());
      assertEquals(headers.size() - 2, cells.size(), row + ": " + cells);
      return cells.get(headers.indexOf(header) - 2);
    }
  }

  private static void assertEmpty(Path directory) throws IOException {
    try (DirectoryStream<Path> left = Files.newDirectoryStream(directory)) {
      assertFalse(left.iterator().hasNext(), directory + " is not empty");
    }
  }

  private static void assertEventually(
      BooleanSupplier condition, java.util.function.Supplier<String> message)
      throws InterruptedException {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, message);
      Thread.sleep(20);
    }
  }

  /** Threads of bbipc runtimes and of the selftest that were not running before. */
  private static List<String> newBbipcThreads(Set<Thread> before) {
    List<String> names = new ArrayList<>();
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (!before.contains(thread) && thread.isAlive() && thread.getName().startsWith("bbipc-")) {
        names.add(thread.getName());
      }
    }
    return names;
  }

  /** Open sockets, epoll, io_uring and event descriptors of this process, or -1 off Linux. */
  private static long kernelHandles() {
    Path fds = Path.of("/proc/self/fd");
    if (!Files.isDirectory(fds)) {
      return -1;
    }
    long count = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(fds)) {
      for (Path fd : entries) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:") || target.startsWith("anon_inode:")) {
            count++;
          }
        } catch (IOException closedMeanwhile) {
          // the directory stream's own descriptor, or one closed while listing
        }
      }
    } catch (IOException e) {
      throw new AssertionError("cannot list " + fds, e);
    }
    return count;
  }
}
