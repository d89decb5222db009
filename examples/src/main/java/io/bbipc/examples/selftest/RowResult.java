package io.bbipc.examples.selftest;

import java.util.List;

/** Holds a row of the table: the cells, or one reason none of them applies. */
final class RowResult {
  final String transport;
  final Kind kind;
  final List<Result> cells;

  /** Why no check applies to the row, shown across all its cells; null for a row of cells. */
  final String spanning;

  final long nanos;

  /** Makes a row of cells, or one spanning reason, with how long the row took. */
  RowResult(String transport, Kind kind, List<Result> cells, String spanning, long nanos) {
    this.transport = transport;
    this.kind = kind;
    this.cells = cells;
    this.spanning = spanning;
    this.nanos = nanos;
  }

  /** Returns a row that shows one reason across all its cells. */
  static RowResult spanning(String transport, Kind kind, String why) {
    return new RowResult(transport, kind, List.of(), why, 0);
  }
}
