package io.bbipc.examples.selftest;

import static io.bbipc.SocketEvent.DATA_AVAILABLE;

import io.bbipc.SocketEvent;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Checks that a future for DATA_AVAILABLE completes once the peer writes, and not before. */
final class WhenReadyCheck implements Check {
  /** Asks for the future, lets the peer write one byte, then waits for the future and the byte. */
  @Override
  public Result run(Probe probe) throws Exception {
    Pair pair = probe.pair();
    CompletableFuture<Set<SocketEvent>> ready = pair.client.whenReady(EnumSet.of(DATA_AVAILABLE));
    if (ready.isDone()) {
      throw new CheckFailure(
          "completed too soon, before the peer wrote anything: " + Texts.outcome(ready));
    }
    Transfers.writeAll(probe, pair.accepted, new byte[] {42}, 0, 1, "the peer to write");
    Set<SocketEvent> events;
    try {
      events = ready.get(Math.max(0, probe.nanosLeft()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new CheckFailure("timed out: the future did not complete after the peer wrote");
    }
    if (!events.contains(DATA_AVAILABLE)) {
      throw new CheckFailure("no DATA_AVAILABLE: the future completed with " + events);
    }
    byte[] one = new byte[1];
    if (pair.client.readFromStream(one) != 1 || one[0] != 42) {
      throw new CheckFailure(
          "no byte: after the future completed, the byte the peer wrote was not there");
    }
    return Result.ok();
  }
}
