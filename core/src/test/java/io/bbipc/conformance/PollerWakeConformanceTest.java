package io.bbipc.conformance;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.conformance.Fixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.IpcSocket;
import io.bbipc.PollResult;
import io.bbipc.Poller;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.nio.file.Path;
import java.util.ArrayList;
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

  /**
   * A connection of a threaded fixture (the test is skipped in a caller-driven one, {@code why}):
   * threads other than an owner wait in its pollers.
   */
  private Fixture.Connection threadedConnection(Fixture f, String why) throws IpcException {
    f.assumeThreaded(why);
    return f.connection(dir);
  }

  /**
   * A poller of {@code ipc} monitoring each socket for what it offers: a server for connections, a
   * stream for data.
   */
  private static Poller watching(Ipc ipc, IpcSocket... sockets) throws IpcException {
    Poller poller = ipc.makePoller();
    for (IpcSocket s : sockets) {
      poller.monitorSocket(
          s, EnumSet.of(s instanceof StreamServer ? CONNECTION_AVAILABLE : DATA_AVAILABLE));
    }
    return poller;
  }

  /** A thread parked in {@code poller.waitForEvents(INDEFINITE)}. */
  private static CompletableFuture<Object> parkedInWait(Poller poller) {
    return Streams.parkedIn(() -> poller.waitForEvents(Timeout.INDEFINITE));
  }

  /**
   * Parks {@code waiters} threads in the poller's wait, closes {@code closed}, and asserts that
   * each returned, with nothing else ready.
   */
  private static void assertClosingWakes(Poller poller, IpcSocket closed, String what, int waiters)
      throws Exception {
    List<CompletableFuture<Object>> parked = new ArrayList<>();
    for (int i = 0; i < waiters; i++) {
      parked.add(parkedInWait(poller));
    }
    closed.close();
    for (CompletableFuture<Object> p : parked) {
      assertReturnedEmpty(outcome(p, what));
    }
  }

  @OverConformanceFixtures
  void closingAMonitoredStreamWakesWaitForEvents(Fixture f) throws Exception {
    try (Fixture.Connection c = threadedConnection(f, "the waiting thread is not the owner");
        Poller poller = watching(f.clientIpc(), c.server(), c.accepted(), c.client())) {
      assertClosingWakes(poller, c.accepted(), "a monitored stream", 1);
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
    try (Fixture.Connection c = threadedConnection(f, "the waiting thread is not the owner");
        Poller poller = watching(f.serverIpc(), c.server(), c.accepted())) {
      assertClosingWakes(poller, c.server(), "a monitored server", 1);
      assertFalse(poller.isMonitored(c.server()));
      assertEquals(Set.of(c.accepted()), poller.monitoredSockets());
    }
  }

  @OverConformanceFixtures
  void closingAMonitoredSocketWakesEveryThreadWaitingInThePoller(Fixture f) throws Exception {
    try (Fixture.Connection c =
            threadedConnection(f, "several threads wait in one poller; only the owner may");
        Poller poller = watching(f.clientIpc(), c.client(), c.accepted())) {
      assertClosingWakes(poller, c.client(), "a monitored stream", 2);
      assertEquals(Set.<IpcSocket>of(c.accepted()), poller.monitoredSockets());
    }
  }

  @OverConformanceFixtures
  void aSocketClosedBeforeTheCallIsDroppedWithoutEndingTheWait(Fixture f) throws Exception {
    try (Fixture.Connection c = threadedConnection(f, "the waiting thread is not the owner");
        Poller poller = watching(f.clientIpc(), c.client(), c.accepted())) {
      c.accepted().close();
      CompletableFuture<Object> parked = parkedInWait(poller);
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
