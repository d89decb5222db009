package io.bbipc.examples.selftest;

/** Pairs a column's header with the check that fills its cells. */
record Column(String header, Check check) {}
