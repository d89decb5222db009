package io.bbipc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README.md quotes figures of the benchmark run that docs/benchmarks.md holds. A new run rewrites
 * that file and nothing else, so the README's quotes were left naming a run the file no longer
 * held. Each quoting block of the README is marked ({@link #START} ... {@link #END}) and names the
 * run it quotes by its date; every number in it must be a number of docs/benchmarks.md, and the
 * date that of the file's run. A number is compared as written, not with its place in a table: a
 * stale figure that happens to appear elsewhere in the file passes, but a new run changes the date,
 * which fails every block until it is quoted again.
 */
class ReadmeFiguresTest {
  static final String START = "<!-- figures from docs/benchmarks.md -->";
  static final String END = "<!-- end figures -->";

  /**
   * A run's date as both files write it: 2026-12-01 18:59:32 UTC (the README may omit seconds, and
   * break the line anywhere in it).
   */
  private static final Pattern STAMP =
      Pattern.compile("\\d{4}-\\d{2}-\\d{2}\\s+\\d{2}:\\d{2}(?::\\d{2})?\\s+UTC");

  /** The run's date in the file's first lines: "... on 2026-12-01 18:59:32 UTC." */
  private static final Pattern RUN_STAMP =
      Pattern.compile("\\bon (\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC)");

  /**
   * A figure: digits, with thousands separators and decimals as the report writes them (1,828;
   * 23.1), not part of a word (p50, cd8f40d4b693) or of a longer number.
   */
  private static final Pattern NUMBER =
      Pattern.compile(
          "(?<![\\w.,])\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?(?![\\w,])"
              + "|(?<![\\w.,])\\d+(?:\\.\\d+)?(?!\\w)");

  private static final Pattern COMMENT = Pattern.compile("<!--.*?-->", Pattern.DOTALL);

  @Test
  void everyFigureTheReadmeQuotesIsInDocsBenchmarksMdOfTheSameRun() throws IOException {
    Path root = repositoryRoot();
    String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
    String report =
        Files.readString(root.resolve("docs").resolve("benchmarks.md"), StandardCharsets.UTF_8);
    List<String> problems = problems(readme, report);
    assertEquals(List.of(), problems, String.join("\n", problems));
  }

  @Test
  void aFigureTheFileDoesNotHoldIsNamedWithItsBlock() {
    String report = "Made by ... on 2026-12-01 18:59:32 UTC.\n| epoll | 23.1 | 1,828 | 1.13× |\n";
    String readme =
        "intro 99.9\n"
            + START
            + "\nFrom the run of 2026-12-01 18:59:32 UTC: 23.1 µs, 1,828 B, 1.13× and 25.3 µs.\n"
            + END
            + "\n";
    assertEquals(
        List.of("README.md figure block 1: 25.3 is not a figure of docs/benchmarks.md"),
        problems(readme, report));
  }

  @Test
  void aBlockNamingAnotherRunIsNamedWithBothDates() {
    String report = "Made by ... on 2026-12-01 18:59:32 UTC.\n| epoll | 23.1 |\n";
    String readme = START + "\n(the run of 2026-11-22 09:11\nUTC) 23.1 µs\n" + END + "\n";
    assertEquals(
        List.of(
            "README.md figure block 1 quotes the run of 2026-11-22 09:11 UTC;"
                + " docs/benchmarks.md holds the run of 2026-12-01 18:59:32 UTC"),
        problems(readme, report));
    // the same run, without its seconds
    assertEquals(
        List.of(), problems(START + "\nthe run of 2026-12-01 18:59 UTC: 23.1\n" + END, report));
  }

  @Test
  void aReadmeWithoutMarkedBlocksOrWithAnUnclosedOneFails() {
    String report = "Made by ... on 2026-12-01 18:59:32 UTC.\n";
    assertEquals(
        List.of("README.md has no block marked " + START + " ... " + END),
        problems("23.1 µs\n", report));
    assertEquals(
        List.of("README.md figure block 1 has no " + END),
        problems(START + "\n2026-12-01 18:59:32 UTC\n", report));
    assertEquals(
        List.of(
            "README.md figure block 1 does not say which run it quotes (its date, as in"
                + " docs/benchmarks.md: 2026-12-01 18:59:32 UTC)"),
        problems(START + "\n" + END + "\n", report));
  }

  /** What is wrong with the README's quotes of {@code report}, one message each; empty if none. */
  static List<String> problems(String readme, String report) {
    List<String> problems = new ArrayList<>();
    Matcher run = RUN_STAMP.matcher(report);
    if (!run.find()) {
      problems.add("docs/benchmarks.md does not say when its run was made (\"on <date> UTC\")");
      return problems;
    }
    String runStamp = run.group(1);
    Set<String> figures = numbers(report);
    int from = 0;
    int block = 0;
    while (true) {
      int start = readme.indexOf(START, from);
      if (start < 0) {
        break;
      }
      block++;
      String name = "README.md figure block " + block;
      int end = readme.indexOf(END, start + START.length());
      if (end < 0) {
        problems.add(name + " has no " + END);
        return problems;
      }
      String text = COMMENT.matcher(readme.substring(start, end)).replaceAll(" ");
      Matcher stamp = STAMP.matcher(text);
      Set<String> stamps = new LinkedHashSet<>();
      while (stamp.find()) {
        stamps.add(stamp.group().replaceAll("\\s+", " "));
      }
      if (stamps.isEmpty()) {
        problems.add(
            name
                + " does not say which run it quotes (its date, as in docs/benchmarks.md: "
                + runStamp
                + ")");
      }
      for (String s : stamps) {
        // without its seconds, the date still names the run
        if (!s.equals(runStamp) && !s.equals(runStamp.replaceFirst(":\\d{2} UTC$", " UTC"))) {
          problems.add(
              name
                  + " quotes the run of "
                  + s
                  + "; docs/benchmarks.md holds the run of "
                  + runStamp);
        }
      }
      for (String n : numbers(STAMP.matcher(text).replaceAll(" "))) {
        if (!figures.contains(n)) {
          problems.add(name + ": " + n + " is not a figure of docs/benchmarks.md");
        }
      }
      from = end + END.length();
    }
    if (block == 0) {
      problems.add("README.md has no block marked " + START + " ... " + END);
    }
    return problems;
  }

  /** Every number of {@code text}, as written, in order of first appearance. */
  static Set<String> numbers(String text) {
    Set<String> found = new LinkedHashSet<>();
    Matcher m = NUMBER.matcher(text);
    while (m.find()) {
      found.add(m.group());
    }
    return found;
  }

  /** The folder that holds README.md and docs/benchmarks.md: the module's parent under Maven. */
  static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("README.md"))
          && Files.isRegularFile(d.resolve("docs").resolve("benchmarks.md"))) {
        return d;
      }
    }
    throw new AssertionError("no README.md with docs/benchmarks.md beside it above " + dir);
  }
}
