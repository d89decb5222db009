package io.bbipc.examples.selftest;

/**
 * Checks that the transport runs the kind of socket at all: a server, a client, an accepted end.
 */
final class AvailableCheck implements Check {
  /** Makes a connected pair, or says why this kind of socket does not apply here. */
  @Override
  public Result run(Probe probe) throws Exception {
    if (probe.row.kind == Kind.TCP6 && Ipv6Loopback.unavailable().isPresent()) {
      return Result.na(Ipv6Loopback.unavailable().get());
    }
    try {
      probe.pair();
    } catch (UnsupportedOperationException e) {
      return Result.na("not supported here: " + e.getMessage());
    }
    return Result.ok();
  }
}
