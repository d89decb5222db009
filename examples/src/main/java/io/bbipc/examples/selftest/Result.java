package io.bbipc.examples.selftest;

/** Holds a check's verdict: for FAILED the full reason, for NA why the check does not apply. */
final class Result {
  /** Names the verdicts a check can give. */
  enum Status {
    OK,
    FAILED,
    NA
  }

  /** The longest failure reason shown in a table cell; the full one follows the table. */
  private static final int CELL_REASON = 28;

  final Status status;
  final String text;

  /** Makes a verdict with its reason. */
  private Result(Status status, String text) {
    this.status = status;
    this.text = text;
  }

  /** Returns the verdict that the check passed. */
  static Result ok() {
    return new Result(Status.OK, "");
  }

  /** Returns the verdict that the check does not apply here, and why. */
  static Result na(String why) {
    return new Result(Status.NA, why);
  }

  /** Returns the verdict that the check failed, with the reason. */
  static Result failed(String reason) {
    return new Result(Status.FAILED, reason);
  }

  /** Returns the verdict as its table cell shows it, a long reason cut short. */
  String cell() {
    switch (status) {
      case OK:
        return "ok";
      case NA:
        return "n/a (" + text + ")";
      default:
        String brief = text.replaceAll("\\s+", " ");
        return "FAILED: "
            + (brief.length() <= CELL_REASON ? brief : brief.substring(0, CELL_REASON - 3) + "...");
    }
  }
}
