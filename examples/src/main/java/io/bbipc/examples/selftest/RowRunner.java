package io.bbipc.examples.selftest;

import io.bbipc.Ipc;
import io.bbipc.TransportInfo;
import io.bbipc.spi.TransportProvider;
import java.util.ArrayList;
import java.util.List;

/** Runs the rows of the table: every kind of socket on every transport on the class path. */
final class RowRunner {
  /** The columns of a row, "available" first: the others run only where it passed. */
  private final List<Column> columns;

  private final CheckRunner runner;
  private final Context context;

  /** Makes a runner of rows of {@code columns} whose checks run on {@code runner}. */
  RowRunner(List<Column> columns, CheckRunner runner, Context context) {
    this.columns = columns;
    this.runner = runner;
    this.context = context;
  }

  /** Returns every transport on the class path, best first, available or not. */
  static List<TransportProvider> transports() {
    return Ipc.transports().stream().map(TransportInfo::provider).toList();
  }

  /** Runs every row, in the order the table shows them. */
  List<RowResult> runAll() {
    List<RowResult> rows = new ArrayList<>();
    for (TransportProvider transport : transports()) {
      runTransport(transport, rows);
    }
    return rows;
  }

  /** Adds the rows of one transport to {@code rows}, or for each kind why it cannot run. */
  private void runTransport(TransportProvider transport, List<RowResult> rows) {
    if (!transport.isAvailable()) {
      Throwable cause = transport.unavailabilityCause();
      for (Kind kind : Kind.values()) {
        rows.add(
            RowResult.spanning(
                transport.name(),
                kind,
                "unavailable: " + (cause == null ? "no reason given" : cause.toString())));
      }
      return;
    }
    Ipc ipc;
    try {
      ipc = Ipc.builder().transport(transport.name()).build();
    } catch (RuntimeException e) {
      Result failed = Result.failed("cannot make a runtime: " + Texts.describe(e));
      for (Kind kind : Kind.values()) {
        rows.add(notAvailable(transport.name(), kind, failed, 0));
      }
      return;
    }
    try {
      for (Kind kind : Kind.values()) {
        rows.add(runRow(new Row(transport, ipc, kind, context)));
      }
    } finally {
      ipc.close();
    }
  }

  /** Runs "available" on the row and, where it passed, every other check. */
  private RowResult runRow(Row row) {
    long start = System.nanoTime();
    Result works =
        row.kind == Kind.LOCAL && context.scratch.path == null
            ? Result.failed("cannot make a temporary directory: " + context.scratch.problem)
            : runner.run(columns.get(0).check(), row);
    if (works.status == Result.Status.NA) {
      return RowResult.spanning(row.transport.name(), row.kind, works.text);
    }
    if (works.status == Result.Status.FAILED) {
      return notAvailable(row.transport.name(), row.kind, works, System.nanoTime() - start);
    }
    List<Result> cells = new ArrayList<>();
    cells.add(works);
    for (Column column : columns.subList(1, columns.size())) {
      cells.add(runner.run(column.check(), row));
    }
    return new RowResult(row.transport.name(), row.kind, cells, null, System.nanoTime() - start);
  }

  /** Returns a row whose transport or kind failed to work at all: the others cannot tell more. */
  private RowResult notAvailable(String transport, Kind kind, Result works, long nanos) {
    List<Result> cells = new ArrayList<>();
    cells.add(works);
    for (int i = 1; i < columns.size(); i++) {
      cells.add(runner.timeIsUp() ? runner.notRun() : Result.na("not available"));
    }
    return new RowResult(transport, kind, cells, null, nanos);
  }
}
