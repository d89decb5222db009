package io.bbipc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/**
 * Runs the harness's smoke mode in-process and checks the report it wrote is whole: every table,
 * every system's row for every transport, a target table, and an SVG that parses. No figure is
 * judged: timings on a shared CI machine prove nothing.
 */
class ReportSmokeTest {
  @Test
  void smokeRunWritesAWellFormedReport(@TempDir Path out) throws Exception {
    int status = Report.run(new String[] {"--smoke", "--out", out.toString()});
    String md = Files.readString(out.resolve("benchmarks.md"), StandardCharsets.UTF_8);
    // a failed measurement is reported in the file and by the exit status; show which
    assertEquals(0, status, "some measurement failed:\n" + section(md, "## Failures"));

    for (String heading :
        List.of(
            "## Machine",
            "## Targets",
            "## How it was measured",
            "## Round-trip latency, 64-byte ping-pong, unpinned",
            "## Streaming throughput",
            "## Poller: one waitForEvents",
            "## Memory per idle connection",
            "## Connection rate",
            Markdown.WHEN_READY_HEADING,
            Markdown.SYSCALLS_HEADING,
            Markdown.BASELINE_HEADING)) {
      assertTrue(md.contains(heading), "missing section " + heading);
    }
    if (Machine.taskset() != null) {
      assertTrue(md.contains("## Round-trip latency, 64-byte ping-pong, pinned to one CPU"));
      String pinned = section(md, "## Round-trip latency, 64-byte ping-pong, pinned to one CPU");
      assertFalse(pinned.contains("Not measured"));
      for (String t : Endpoints.availableTransports()) {
        for (Family f : Family.values()) {
          assertTrue(
              pinned.contains("| bbipc sync, caller-driven | " + t + " | " + f.label + " |"),
              "pinned caller-driven latency row " + t + " " + f);
        }
      }
    }
    String syscalls = section(md, Markdown.SYSCALLS_HEADING);
    if (Machine.executable("strace") != null) {
      String tr = Syscalls.transport(Endpoints.availableTransports());
      for (Family f : Family.values()) {
        assertTrue(
            syscalls.contains("| JDK blocking | — | " + f.label + " | "), "system calls, JDK " + f);
        for (String sys : List.of("bbipc sync", "bbipc sync, caller-driven")) {
          assertTrue(
              syscalls.contains("| " + sys + " | " + tr + " | " + f.label + " | "),
              "system calls row " + sys + " " + f);
        }
      }
    } else {
      assertTrue(syscalls.contains("Not measured: strace is not installed"), syscalls);
    }
    for (String field :
        List.of(
            "| nproc |",
            "| CPU |",
            "| kernel |",
            "| JDK |",
            "| date |",
            "| load average 1/5/15 min, at start |")) {
      assertTrue(md.contains(field), "machine description lacks " + field);
    }

    List<String> transports = Endpoints.availableTransports();
    assertTrue(transports.contains("nio"));
    String unpinned = section(md, "## Round-trip latency, 64-byte ping-pong, unpinned");
    String throughput = section(md, "## Streaming throughput");
    String memory = section(md, "## Memory per idle connection");
    String connect = section(md, "## Connection rate");
    String poller = section(md, "## Poller");
    String targets = section(md, "## Targets");
    String whenReady = section(md, Markdown.WHEN_READY_HEADING);
    for (Family f : Family.values()) {
      assertTrue(
          unpinned.contains("| JDK blocking | — | " + f.label + " |"), "JDK latency row, " + f);
    }
    assertTrue(throughput.contains("| JDK blocking | — |"));
    assertTrue(memory.contains("| JDK blocking | — |"));
    assertTrue(connect.contains("| JDK blocking | — |"));
    for (String t : transports) {
      for (Family f : Family.values()) {
        for (String sys :
            List.of(
                "bbipc sync",
                "bbipc sync + 50 µs spin",
                "bbipc sync, caller-driven",
                "bbipc sync, caller-driven + busy poll",
                "bbipc async",
                "raw Netty")) {
          assertTrue(
              unpinned.contains("| " + sys + " | " + t + " | " + f.label + " |"),
              "latency row " + sys + " " + t + " " + f);
        }
      }
      for (String sys :
          List.of("bbipc sync", "bbipc sync, caller-driven", "bbipc async", "raw Netty")) {
        assertTrue(
            throughput.contains("| " + sys + " | " + t + " |"), "throughput row " + sys + " " + t);
      }
      assertTrue(poller.contains("| " + t + " |"), "poller row " + t);
      assertTrue(memory.contains("| bbipc | " + t + " |"), "memory row " + t);
      assertTrue(memory.contains("| raw Netty | " + t + " |"), "memory row raw Netty " + t);
      assertTrue(connect.contains("| bbipc | " + t + " |"), "connection rate row " + t);
      assertTrue(targets.contains("| " + t + " |"), "targets for " + t);
      // the smoke size, with a figure in every column
      String row =
          whenReady
              .lines()
              .filter(l -> l.startsWith("| " + t + " | 1,000 | "))
              .findFirst()
              .orElse("");
      assertFalse(row.isEmpty(), "whenReady row " + t);
      assertFalse(
          row.contains("—") || row.contains("failed"), "whenReady row without figures: " + row);
    }
    assertFalse(md.contains("NaN"), "a figure came out NaN:\n" + md);
    assertTrue(targets.contains("| met? |"));
    for (String kind :
        List.of(
            "caller-driven sync RTT ≤ 1.2 × JDK blocking RTT (pinned, p50)",
            "caller-driven sync throughput ≥ 0.9 × JDK blocking throughput",
            "unpinned sync, caller-driven + 50 µs busy poll p50 ≤ 0.5 × JDK blocking p50",
            "caller-driven sync system calls per round trip ≤ 6 (JDK blocking: 4)",
            "threaded runtime: every earlier target's ratio at most 5 % worse than in the baseline run")) {
      assertTrue(targets.contains("| " + kind + " | "), "target " + kind);
    }
    // every baseline ratio is listed against this run's, by the same name the Targets table uses
    String baseline = section(md, Markdown.BASELINE_HEADING);
    assertTrue(
        baseline.contains(
            "| sync RTT ≤ 1.3 × JDK blocking RTT (pinned, p50) | epoll | TCP loopback | 1.85× | "),
        baseline);
    for (String prefix :
        List.of(
            "| sync throughput ≥ 0.9 × raw Netty throughput | nio | TCP loopback | 0.83× | ",
            "| unpinned sync (default, no spin) p50 ≤ 0.5 × JDK blocking p50 | nio | local socket | 1.73× | ",
            "| async RTT ≤ 1.2 × raw Netty RTT (pinned, p50) | nio | TCP loopback | 1.06× | ")) {
      String row = baseline.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse("");
      assertFalse(row.isEmpty(), "baseline row " + prefix);
      if (!prefix.contains("(pinned") || Machine.taskset() != null) {
        assertFalse(row.contains("n/a"), "this run's ratio missing beside the baseline's: " + row);
      }
    }

    String svg = Files.readString(out.resolve("benchmarks.svg"), StandardCharsets.UTF_8);
    Document doc =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    assertEquals("svg", doc.getDocumentElement().getTagName());
    assertTrue(doc.getElementsByTagName("rect").getLength() > 20, "the chart has too few bars");
    assertTrue(svg.contains("µs per round trip") && svg.contains("GiB/s"), "axis labels missing");
    assertTrue(
        svg.contains("bbipc sync, caller-driven + busy poll · "),
        "the chart lacks the busy-poll rows");
  }

  /** The text from {@code heading} to the next second-level heading. */
  private static String section(String md, String heading) {
    int start = md.indexOf(heading);
    if (start < 0) {
      return "";
    }
    int end = md.indexOf("\n## ", start + heading.length());
    return end < 0 ? md.substring(start) : md.substring(start, end);
  }
}
