package io.bbipc.conformance;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_FAILED;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.DETERMINED;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;
import static io.bbipc.conformance.Fixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.BasicBinaryIpc;
import io.bbipc.IpcException;
import io.bbipc.IpcSocket;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.LocalServer;
import io.bbipc.PollResult;
import io.bbipc.Poller;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** pollSockets and pollers, in the original library's sequences, on every fixture. */
public class PollingConformanceTest {
  @TempDir Path dir;

  static List<String[]> transportPairs() {
    List<String[]> pairs = new ArrayList<>();
    for (Fixture f : Fixture.all()) {
      if (f.kind() == Fixture.Kind.TCP) {
        pairs.add(new String[] {f.serverTransport(), f.clientTransport()});
      }
    }
    return pairs;
  }

  private static final Set<SocketEvent> AVAILABLE = EnumSet.of(CONNECTION_AVAILABLE);
  private static final Set<SocketEvent> NONE = Set.of();

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("transportPairs")
  void pollSocketsOverATcpAndALocalServer(String serverTransport, String clientTransport)
      throws Exception {
    Fixture tcp = new Fixture(Fixture.Kind.TCP, serverTransport, clientTransport);
    Fixture local = new Fixture(Fixture.Kind.LOCAL, serverTransport, clientTransport);
    tcp.assumeAvailable();
    try (Ipv4TcpServer tcpServer = (Ipv4TcpServer) tcp.makeServer(dir);
        LocalServer localServer = (LocalServer) local.makeServer(dir)) {
      List<IpcSocket> sockets = List.of(tcpServer, localServer);
      List<Set<SocketEvent>> events = List.of(AVAILABLE, AVAILABLE);
      assertEquals(
          List.of(NONE, NONE), BasicBinaryIpc.pollSockets(sockets, events, Timeout.IMMEDIATE));
      try (StreamSocket tcpClient = tcp.connect(tcpServer)) {
        assertEquals(List.of(AVAILABLE, NONE), BasicBinaryIpc.pollSockets(sockets, events, WAIT));
        try (StreamSocket localClient = local.connect(localServer)) {
          assertEquals(List.of(AVAILABLE, AVAILABLE), waitForBoth(sockets, events));
          tcpServer.acceptConnection().close();
          assertEquals(List.of(NONE, AVAILABLE), BasicBinaryIpc.pollSockets(sockets, events, WAIT));
          localServer.acceptConnection().close();
          assertEquals(
              List.of(NONE, NONE), BasicBinaryIpc.pollSockets(sockets, events, Timeout.IMMEDIATE));
        }
      }
    }
  }

  /** The local connection may land a moment after the call returns; wait for both to show. */
  private static List<Set<SocketEvent>> waitForBoth(
      List<IpcSocket> sockets, List<Set<SocketEvent>> events) throws IpcException {
    long deadline = Streams.deadline(10);
    List<Set<SocketEvent>> r;
    do {
      r = BasicBinaryIpc.pollSockets(sockets, events, Timeout.seconds(1));
    } while (r.contains(NONE) && System.nanoTime() - deadline < 0);
    return r;
  }

  @OverConformanceFixtures
  void theOriginalPollerSequence(Fixture f) throws Exception {
    try (Poller poller = f.clientIpc().makePoller();
        StreamServer server = f.makeServer(dir)) {
      poller.monitorSocket(server, AVAILABLE);
      assertEquals(List.of(), poller.waitForEvents(Timeout.IMMEDIATE));
      try (StreamSocket client = f.connect(server)) {
        List<PollResult> first = poller.waitForEvents(WAIT);
        assertEquals(AVAILABLE, eventsOf(first, server));
        StreamSocket remote = server.acceptConnection();
        try {
          Set<SocketEvent> three = EnumSet.of(CONNECTION_SUCCEEDED, DATA_AVAILABLE, READY_TO_WRITE);
          poller.monitorSocket(client, three);
          poller.monitorSocket(remote, three);
          assertEquals(three, poller.monitoredEvents(client));
          assertEquals(Set.of(server, client, remote), poller.monitoredSockets());
          Map<IpcSocket, Set<SocketEvent>> ready = waitUntil(poller, client, remote);
          assertEquals(EnumSet.of(CONNECTION_SUCCEEDED, READY_TO_WRITE), ready.get(client));
          assertEquals(EnumSet.of(CONNECTION_SUCCEEDED, READY_TO_WRITE), ready.get(remote));

          poller.setMonitoredEvents(client, EnumSet.of(DATA_AVAILABLE));
          poller.setMonitoredEvents(remote, EnumSet.of(DATA_AVAILABLE));
          assertEquals(EnumSet.of(DATA_AVAILABLE), poller.monitoredEvents(remote));
          assertEquals(5, client.writeToStream(new byte[] {0, 1, 2, 3, 4}));
          List<PollResult> data = poller.waitForEvents(WAIT);
          assertEquals(1, data.size(), data.toString());
          assertEquals(EnumSet.of(DATA_AVAILABLE), eventsOf(data, remote));
          byte[] buffer = new byte[10];
          assertEquals(5, Streams.readFully(remote, 5, Streams.deadline(10)).length);
          assertEquals(0, remote.readFromStream(buffer));
          assertEquals(List.of(), poller.waitForEvents(Timeout.IMMEDIATE));
        } finally {
          remote.close();
          poller.unmonitorSocket(remote);
        }
        assertFalse(poller.isMonitored(remote));
        assertEquals(Set.of(), poller.monitoredEvents(remote));

        poller.setMonitoredEvents(
            client, EnumSet.of(CONNECTION_FAILED, CONNECTION_SUCCEEDED, REMOTE_DISCONNECTED));
        // CONNECTION_SUCCEEDED holds until the disconnect arrives; then it is gone in the same
        // report
        long deadline = Streams.deadline(10);
        Set<SocketEvent> gone;
        do {
          Streams.checkDeadline(deadline, "the disconnect to show");
          gone = waitUntil(poller, client).get(client);
        } while (!gone.contains(REMOTE_DISCONNECTED));
        assertEquals(EnumSet.of(CONNECTION_FAILED, REMOTE_DISCONNECTED), gone);
      }
    }
  }

  private static Set<SocketEvent> eventsOf(List<PollResult> results, IpcSocket socket) {
    for (PollResult r : results) {
      if (r.socket() == socket) {
        assertFalse(r.events().isEmpty());
        return r.events();
      }
    }
    return Set.of();
  }

  /** Waits until every one of {@code sockets} is reported in one call. */
  private static Map<IpcSocket, Set<SocketEvent>> waitUntil(Poller poller, IpcSocket... sockets)
      throws IpcException {
    long deadline = Streams.deadline(10);
    while (true) {
      Map<IpcSocket, Set<SocketEvent>> ready = new HashMap<>();
      for (PollResult r : poller.waitForEvents(Timeout.seconds(1))) {
        ready.put(r.socket(), r.events());
      }
      if (ready.keySet().containsAll(List.of(sockets))) {
        return ready;
      }
      Streams.checkDeadline(deadline, "poller to report " + List.of(sockets) + ", got " + ready);
    }
  }

  @OverConformanceFixtures
  void aConnectToALoopbackPortWithNoListenerFailsThroughAPoller(Fixture f) throws Exception {
    if (!f.kind().isTcp()) {
      return;
    }
    int port = f.freePort();
    try (Poller poller = f.clientIpc().makePoller();
        StreamSocket client = f.connectToPort(f.clientIpc(), port)) {
      poller.monitorSocket(client, EnumSet.of(DETERMINED, CONNECTION_SUCCEEDED, CONNECTION_FAILED));
      List<PollResult> events = poller.waitForEvents(WAIT);
      assertEquals(1, events.size());
      assertEquals(client, events.get(0).socket());
      assertEquals(EnumSet.of(DETERMINED, CONNECTION_FAILED), events.get(0).events());
      assertFalse(client.connectionSucceeded());
      assertTrue(client.connectionFailed());
    }
  }

  @OverConformanceFixtures
  void onlyReadySocketsAreReportedAmongMany(Fixture f) throws Exception {
    try (StreamServer server = f.makeServer(dir);
        Poller poller = f.serverIpc().makePoller()) {
      List<StreamSocket> clients = new ArrayList<>();
      List<StreamSocket> accepted = new ArrayList<>();
      try {
        for (int i = 0; i < 50; i++) {
          clients.add(f.connect(server));
          assertTrue(server.poll(CONNECTION_AVAILABLE, WAIT));
          StreamSocket s = server.acceptConnection();
          accepted.add(s);
          poller.monitorSocket(s, EnumSet.of(DATA_AVAILABLE, REMOTE_DISCONNECTED));
        }
        assertEquals(List.of(), poller.waitForEvents(Timeout.seconds(0.05)));
        for (int i : new int[] {3, 17, 42}) {
          assertTrue(clients.get(i).poll(CONNECTION_SUCCEEDED, WAIT));
          assertEquals(1, clients.get(i).writeToStream(new byte[] {(byte) i}));
        }
        Map<IpcSocket, Set<SocketEvent>> ready =
            waitUntil(poller, accepted.get(3), accepted.get(17), accepted.get(42));
        assertEquals(3, ready.size(), ready.toString());
        // level-triggered: still reported until read
        assertEquals(3, poller.waitForEvents(Timeout.IMMEDIATE).size());
        accepted.get(17).readFromStream(new byte[1]);
        assertEquals(2, poller.waitForEvents(Timeout.IMMEDIATE).size());
        // a socket closed by its user drops out of the poller
        accepted.get(3).close();
        assertEquals(1, poller.waitForEvents(Timeout.IMMEDIATE).size());
        assertFalse(poller.isMonitored(accepted.get(3)));
        assertEquals(49, poller.monitoredSockets().size());
      } finally {
        clients.forEach(StreamSocket::close);
        accepted.forEach(StreamSocket::close);
      }
    }
  }

  @OverConformanceFixtures
  void closingAPollerWakesItsWaiterAndLeavesTheSocketsOpen(Fixture f) throws Exception {
    f.assumeThreaded(
        "the waiting thread is not the owner (CallerDrivenConformanceTest closes under a waiting owner)");
    try (Fixture.Connection c = f.connection(dir)) {
      Poller poller = f.clientIpc().makePoller();
      poller.monitorSocket(c.accepted(), EnumSet.of(DATA_AVAILABLE));
      CompletableFuture<Object> outcome =
          Streams.parkedIn(() -> poller.waitForEvents(Timeout.INDEFINITE));
      poller.close();
      poller.close();
      assertTrue(outcome.get(10, TimeUnit.SECONDS) instanceof IpcException);
      assertTrue(poller.isClosed());
      assertThrows(IpcException.class, () -> poller.waitForEvents(Timeout.IMMEDIATE));
      assertThrows(
          IpcException.class, () -> poller.monitorSocket(c.client(), EnumSet.of(DATA_AVAILABLE)));
      assertFalse(c.accepted().isClosed());
    }
  }

  @OverConformanceFixtures
  void anInterruptedWaitForEventsReturnsEmptyAndKeepsTheFlag(Fixture f) throws Exception {
    f.assumeThreaded(
        "the waiting thread is not the owner (CallerDrivenConformanceTest interrupts an owner)");
    try (Fixture.Connection c = f.connection(dir);
        Poller poller = f.clientIpc().makePoller()) {
      poller.monitorSocket(c.accepted(), EnumSet.of(DATA_AVAILABLE));
      Streams.Interrupted r =
          Streams.interruptedWhileParkedIn(() -> poller.waitForEvents(Timeout.INDEFINITE));
      assertEquals(List.of(), r.returned());
      assertTrue(r.flagKept());

      // pollSockets too: a list of empty sets
      Streams.Interrupted polled =
          Streams.calledInterrupted(
              () ->
                  BasicBinaryIpc.pollSockets(
                      List.of(c.accepted()),
                      List.of(EnumSet.of(DATA_AVAILABLE)),
                      Timeout.INDEFINITE));
      assertEquals(List.of(NONE), polled.returned());
      assertTrue(polled.flagKept());
    }
  }

  @OverConformanceFixtures
  void socketsOfDifferentRuntimesArePolledTogether(Fixture f) throws Exception {
    try (Fixture.Connection c = f.connection(dir);
        io.bbipc.Ipc other = io.bbipc.Ipc.create();
        Poller poller = other.makePoller()) {
      poller.monitorSocket(c.accepted(), EnumSet.of(DATA_AVAILABLE));
      poller.monitorSocket(c.client(), EnumSet.of(DATA_AVAILABLE));
      c.client().writeToStream(new byte[] {1});
      List<PollResult> r = poller.waitForEvents(WAIT);
      assertEquals(1, r.size());
      assertEquals(c.accepted(), r.get(0).socket());
    }
  }

  @OverConformanceFixtures
  void pollOnAClosedSocketThrowsAndPollSocketsToo(Fixture f) throws Exception {
    try (Fixture.Connection c = f.connection(dir)) {
      c.client().close();
      assertThrows(
          IpcException.class,
          () -> BasicBinaryIpc.pollSocket(c.client(), EnumSet.of(DATA_AVAILABLE), WAIT));
      assertThrows(
          IpcException.class,
          () ->
              BasicBinaryIpc.pollSockets(
                  List.of(c.accepted(), c.client()),
                  List.of(EnumSet.of(DATA_AVAILABLE), EnumSet.of(DATA_AVAILABLE)),
                  Timeout.IMMEDIATE));
      try (Poller poller = f.clientIpc().makePoller()) {
        assertThrows(
            IpcException.class, () -> poller.monitorSocket(c.client(), EnumSet.of(DATA_AVAILABLE)));
      }
    }
  }
}
