package io.bbipc.examples.selftest;

/** Tries one promise of bbipc on one row of the table: what fills the cells of a column. */
@FunctionalInterface
interface Check {
  /**
   * Tries the promise on the probe's row and returns the verdict, or throws a {@link CheckFailure}
   * with the reason it does not hold.
   */
  Result run(Probe probe) throws Exception;
}
