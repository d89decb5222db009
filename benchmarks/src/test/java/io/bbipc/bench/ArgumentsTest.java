package io.bbipc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: the README's and every option's meaning as before, and bad values named. */
class ArgumentsTest {
  private static final List<String> KNOWN = List.of("epoll", "io_uring", "kqueue", "nio");

  @Test
  void theReadmeCommandRunsEverythingPinnedOnEveryTransport() {
    Arguments a = Arguments.parse(KNOWN);
    assertFalse(a.help);
    assertFalse(a.smoke);
    assertTrue(a.pin);
    assertNull(a.out);
    assertNull(a.pinnedPassFile);
    assertNull(a.transports);
    assertEquals(Report.PARTS, a.only);
  }

  @Test
  void everyOptionKeepsItsMeaning(@TempDir Path dir) {
    Arguments a =
        Arguments.parse(
            KNOWN,
            "--smoke",
            "--no-pin",
            "--out",
            dir.toString(),
            "--transports",
            "nio,kqueue",
            "--only",
            "latency,syscalls");
    assertTrue(a.smoke);
    assertFalse(a.pin);
    assertEquals(dir, a.out);
    assertEquals(List.of("nio", "kqueue"), a.transports);
    assertEquals(List.of("latency", "syscalls"), a.only);
    // what the pinned child is started with, and reads back
    assertEquals(List.of("--smoke", "--transports", "nio,kqueue"), a.passOn());
    Arguments child =
        Arguments.parse(
            KNOWN,
            "--pinned-pass",
            dir.resolve("rows.tsv").toString(),
            "--smoke",
            "--transports",
            "nio,kqueue");
    assertEquals(dir.resolve("rows.tsv"), child.pinnedPassFile);
    assertEquals(a.transports, child.transports);
  }

  @Test
  void aBadValueIsNamed(@TempDir Path dir) throws Exception {
    assertEquals(
        "--only: no measurement is called \"latencyy\"; latency, syscalls, throughput, poller, memory, "
            + "connect, whenready are",
        refused("--only", "latency,latencyy"));
    assertEquals(
        "--transports: no transport is called \"epol\"; epoll, io_uring, kqueue, nio are",
        refused("--transports", "epol"));
    assertTrue(refused("--only", "").contains("\"\""));
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    assertEquals(
        "--out: \"" + file + "\" is a file, not a directory", refused("--out", file.toString()));
    assertEquals("--smoke takes no value, not \"false\"", refused("--smoke=false"));
    assertTrue(refused("--bogus").contains("bogus"));
    assertTrue(refused("--out").contains("out"));
    assertTrue(refused("latency").contains("\"latency\""));
    // no abbreviations: --o could be --only or --out
    assertTrue(refused("--o", "latency").contains("o"));
  }

  @Test
  void helpListsEveryOption() throws Exception {
    assertTrue(Arguments.parse(KNOWN, "--help").help);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Arguments.printHelp(KNOWN, out);
    String help = out.toString(StandardCharsets.UTF_8);
    for (String option :
        List.of(
            "--help", "--smoke", "--no-pin", "--out", "--transports", "--only", "--pinned-pass")) {
      assertTrue(help.contains(option), option + " missing from\n" + help);
    }
  }

  private static String refused(String... argv) {
    return assertThrows(IllegalArgumentException.class, () -> Arguments.parse(KNOWN, argv))
        .getMessage();
  }
}
