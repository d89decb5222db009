package io.bbipc.examples.selftest;

/** Carries a check's verdict that something does not work, with the reason. */
final class CheckFailure extends Exception {
  private static final long serialVersionUID = 1L;

  /** Makes the verdict with the reason the table and the failures show. */
  CheckFailure(String reason) {
    super(reason);
  }
}
