package io.bbipc.examples.selftest;

import io.bbipc.Ipc;
import io.bbipc.examples.Main;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Prints the selftest's report: the table, the failures in full, the notes and the summary. */
final class ReportPrinter {
  /** The headers of the table: transport, kind, one per check, and time. */
  private final List<String> headers = new ArrayList<>(List.of("transport", "kind"));

  private int ok;
  private int failed;
  private int notApplicable;
  private final List<String> failures = new ArrayList<>();

  /** Makes the report of a run whose checks fill {@code columns}, "available" first. */
  ReportPrinter(List<Column> columns) {
    for (Column column : columns) {
      headers.add(column.header());
    }
    headers.add("time");
  }

  /** Prints the lines that say where the selftest runs and which transport is the default. */
  static void printHeading(PrintStream out) {
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
  }

  /** Prints the table, the failures, the notes and the summary, and returns the exit code. */
  int print(
      PrintStream out,
      List<RowResult> rows,
      List<String> notes,
      List<String> runFailures,
      long start) {
    printTable(out, rows);
    for (RowResult row : rows) {
      count(row);
    }
    // failures of the run as a whole, not of one transport's row
    for (String failure : runFailures) {
      failed++;
      failures.add(failure);
    }
    printSection(out, "Failures:", failures);
    printSection(out, "Notes:", notes);
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
            + Texts.seconds(System.nanoTime() - start));
    return status;
  }

  /** Prints the headers and the rows, each column as wide as its widest cell. */
  private void printTable(PrintStream out, List<RowResult> rows) {
    int[] widths = headers.stream().mapToInt(String::length).toArray();
    List<List<String>> lines = new ArrayList<>();
    for (RowResult row : rows) {
      List<String> cells = cells(row);
      lines.add(cells);
      // A spanning row's one cell runs across the columns, so it widens none of them.
      int measured = row.spanning != null ? 2 : cells.size();
      for (int i = 0; i < measured; i++) {
        widths[i] = Math.max(widths[i], cells.get(i).length());
      }
    }
    out.println(tableLine(headers, widths));
    for (List<String> line : lines) {
      out.println(tableLine(line, widths));
    }
  }

  /** Returns the texts of a row's cells, from the transport to the time. */
  private static List<String> cells(RowResult row) {
    List<String> cells = new ArrayList<>(List.of(row.transport, row.kind.label));
    if (row.spanning != null) {
      cells.add("n/a (" + row.spanning + ")");
      return cells;
    }
    for (Result result : row.cells) {
      cells.add(result.cell());
    }
    cells.add(Texts.seconds(row.nanos));
    return cells;
  }

  /** Returns the cells as one line, each but the last padded to its column's width. */
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

  /** Counts a row's verdicts, keeping each failure's full reason. */
  private void count(RowResult row) {
    if (row.spanning != null) {
      // Every check of the row, "available" included, but not the transport, kind and time.
      notApplicable += headers.size() - 3;
      return;
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
              row.transport
                  + " "
                  + row.kind.label
                  + ", "
                  + headers.get(i + 2)
                  + ": "
                  + result.text);
      }
    }
  }

  /** Prints a titled list after a blank line, each item indented, or nothing if it is empty. */
  private static void printSection(PrintStream out, String title, List<String> items) {
    if (items.isEmpty()) {
      return;
    }
    out.println();
    out.println(title);
    items.forEach(item -> out.println("  " + item));
  }
}
