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

    for (String heading : List.of("## Machine", "## Targets", "## How it was measured",
        "## Round-trip latency, 64-byte ping-pong, unpinned", "## Streaming throughput",
        "## Poller: one waitForEvents", "## Memory per idle connection", "## Connection rate",
        Markdown.WHEN_READY_HEADING)) {
      assertTrue(md.contains(heading), "missing section " + heading);
    }
    if (Machine.taskset() != null) {
      assertTrue(md.contains("## Round-trip latency, 64-byte ping-pong, pinned to one CPU"));
      assertFalse(section(md, "## Round-trip latency, 64-byte ping-pong, pinned to one CPU")
          .contains("Not measured"));
    }
    for (String field : List.of("| nproc |", "| CPU |", "| kernel |", "| JDK |", "| date |",
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
      assertTrue(unpinned.contains("| JDK blocking | — | " + f.label + " |"), "JDK latency row, " + f);
    }
    assertTrue(throughput.contains("| JDK blocking | — |"));
    assertTrue(memory.contains("| JDK blocking | — |"));
    assertTrue(connect.contains("| JDK blocking | — |"));
    for (String t : transports) {
      for (Family f : Family.values()) {
        for (String sys : List.of("bbipc sync", "bbipc sync + 50 µs spin", "bbipc async", "raw Netty")) {
          assertTrue(unpinned.contains("| " + sys + " | " + t + " | " + f.label + " |"),
              "latency row " + sys + " " + t + " " + f);
        }
      }
      for (String sys : List.of("bbipc sync", "bbipc async", "raw Netty")) {
        assertTrue(throughput.contains("| " + sys + " | " + t + " |"), "throughput row " + sys + " " + t);
      }
      assertTrue(poller.contains("| " + t + " |"), "poller row " + t);
      assertTrue(memory.contains("| bbipc | " + t + " |"), "memory row " + t);
      assertTrue(memory.contains("| raw Netty | " + t + " |"), "memory row raw Netty " + t);
      assertTrue(connect.contains("| bbipc | " + t + " |"), "connection rate row " + t);
      assertTrue(targets.contains("| " + t + " |"), "targets for " + t);
      // the smoke size, with a figure in every column
      String row = whenReady.lines().filter(l -> l.startsWith("| " + t + " | 1,000 | ")).findFirst().orElse("");
      assertFalse(row.isEmpty(), "whenReady row " + t);
      assertFalse(row.contains("—") || row.contains("failed"), "whenReady row without figures: " + row);
    }
    assertFalse(md.contains("NaN"), "a figure came out NaN:\n" + md);
    assertTrue(targets.contains("| met? |"));

    String svg = Files.readString(out.resolve("benchmarks.svg"), StandardCharsets.UTF_8);
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    assertEquals("svg", doc.getDocumentElement().getTagName());
    assertTrue(doc.getElementsByTagName("rect").getLength() > 20, "the chart has too few bars");
    assertTrue(svg.contains("µs per round trip") && svg.contains("GiB/s"), "axis labels missing");
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
