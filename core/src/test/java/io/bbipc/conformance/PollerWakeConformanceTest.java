package io.bbipc.conformance;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.conformance.Fixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.bbipc.IpcSocket;
import io.bbipc.PollResult;
import io.bbipc.Poller;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.io.TempDir;

/**
 * Behaviour 10: a thread in {@code waitForEvents} waits on every socket its poller monitors, so
 * closing one of them wakes it; the call returns what else is ready, perhaps nothing, and the
 * closed socket is no longer monitored.
 */
public class PollerWakeConformanceTest {
  @TempDir Path dir;

  /** What a parked call returned, or a failure naming what was closed if it stayed parked. */
  private static Object outcome(CompletableFuture<Object> parked, String closed) throws Exception {
    try {
      return parked.get(10, TimeUnit.SECONDS);
    } catch (TimeoutException stillParked) {
      return fail(
          "waitForEvents(INDEFINITE) was still parked 10 s after " + closed + " was closed");
    }
  }

  private static void assertReturnedEmpty(Object outcome) {
    if (outcome instanceof Throwable) {
      throw new AssertionError("waitForEvents threw instead of returning", (Throwable) outcome);
    }
    assertEquals(List.of(), outcome, "nothing else monitored was ready");
  }

  @OverConformanceFixtures
  void closingAMonitoredStreamWakesWaitForEvents(Fixture f) throws Exception {
    f.assumeThreaded("the waiting thread is not the owner");
    try (Fixture.Connection c = f.connection(dir);
        Poller poller = f.clientIpc().makePoller()) {
      poller.monitorSocket(c.server(), EnumSet.of(CONNECTION_AVAILABLE));
      poller.monitorSocket(c.accepted(), EnumSet.of(DATA_AVAILABLE));
      poller.monitorSocket(c.client(), EnumSet.of(DATA_AVAILABLE));
      CompletableFuture<Object> parked =
          Streams.parkedIn(() -> poller.waitForEvents(Timeout.INDEFINITE));
      c.accepted().close();
      assertReturnedEmpty(outcome(parked, "a monitored stream"));
      assertFalse(poller.isMonitored(c.accepted()));
      assertEquals(Set.of(c.server(), c.client()), poller.monitoredSockets());
      assertEquals(Set.of(), poller.monitoredEvents(c.accepted()));

      // the poller still works on the others: the client now sees the disconnect, not data
      assertEquals(List.of(), poller.waitForEvents(Timeout.IMMEDIATE));
      StreamSocket other = f.connect(c.server());
      try {
        List<PollResult> ready = poller.waitForEvents(WAIT);
        assertEquals(1, ready.size(), ready.toString());
        assertEquals(c.server(), ready.get(0).socket());
      } finally {
        other.close();
      }
    }
  }

  @OverConformanceFixtures
  void closingAMonitoredServerWakesWaitForEvents(Fixture f) throws Exception {
    f.assumeThreaded("the waiting thread is not the owner");
    try (Fixture.Connection c = f.connection(dir);
        Poller poller = f.serverIpc().makePoller()) {
      poller.monitorSocket(c.server(), EnumSet.of(CONNECTION_AVAILABLE));
      poller.monitorSocket(c.accepted(), EnumSet.of(DATA_AVAILABLE));
      CompletableFuture<Object> parked =
          Streams.parkedIn(() -> poller.waitForEvents(Timeout.INDEFINITE));
      c.server().close();
      assertReturnedEmpty(outcome(parked, "a monitored server"));
      assertFalse(poller.isMonitored(c.server()));
      assertEquals(Set.of(c.accepted()), poller.monitoredSockets());
    }
  }

  @OverConformanceFixtures
  void closingAMonitoredSocketWakesEveryThreadWaitingInThePoller(Fixture f) throws Exception {
    f.assumeThreaded("several threads wait in one poller; only the owner may");
    try (Fixture.Connection c = f.connection(dir);
        Poller poller = f.clientIpc().makePoller()) {
      poller.monitorSocket(c.client(), EnumSet.of(DATA_AVAILABLE));
      poller.monitorSocket(c.accepted(), EnumSet.of(DATA_AVAILABLE));
      CompletableFuture<Object> first =
          Streams.parkedIn(() -> poller.waitForEvents(Timeout.INDEFINITE));
      CompletableFuture<Object> second =
          Streams.parkedIn(() -> poller.waitForEvents(Timeout.INDEFINITE));
      c.client().close();
      assertReturnedEmpty(outcome(first, "a monitored stream"));
      assertReturnedEmpty(outcome(second, "a monitored stream"));
      assertEquals(Set.<IpcSocket>of(c.accepted()), poller.monitoredSockets());
    }
  }

  @OverConformanceFixtures
  void aSocketClosedBeforeTheCallIsDroppedWithoutEndingTheWait(Fixture f) throws Exception {
    f.assumeThreaded("the waiting thread is not the owner");
    try (Fixture.Connection c = f.connection(dir);
        Poller poller = f.clientIpc().makePoller()) {
      poller.monitorSocket(c.client(), EnumSet.of(DATA_AVAILABLE));
      poller.monitorSocket(c.accepted(), EnumSet.of(DATA_AVAILABLE));
      c.accepted().close();
      CompletableFuture<Object> parked =
          Streams.parkedIn(() -> poller.waitForEvents(Timeout.INDEFINITE));
      // the close came before the call, so the call waits on for what is still monitored
      assertFalse(parked.isDone(), "returned " + parked.getNow(null) + " though nothing was ready");
      // a change on a socket that is still monitored, and not one the call waits for
      assertTrue(c.client().poll(io.bbipc.SocketEvent.REMOTE_DISCONNECTED, WAIT));
      assertEquals(Set.of(c.client()), poller.monitoredSockets());
      assertFalse(parked.isDone(), "returned " + parked.getNow(null) + " though nothing was ready");
      c.client().close();
      assertReturnedEmpty(outcome(parked, "the other monitored stream"));
      assertEquals(Set.of(), poller.monitoredSockets());
    }
  }
}
