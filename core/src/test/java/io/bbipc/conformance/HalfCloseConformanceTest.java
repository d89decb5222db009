package io.bbipc.conformance;

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

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.LocalServer;
import io.bbipc.PollResult;
import io.bbipc.Poller;
import io.bbipc.ServerOptions;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;

/** Behaviours 20 and 21 in docs/behaviours.md: half-close, on every transport pair. */
public class HalfCloseConformanceTest {
  private static final EnumSet<SocketEvent> STATE =
      EnumSet.of(DETERMINED, CONNECTION_SUCCEEDED, CONNECTION_FAILED, REMOTE_DISCONNECTED);

  @TempDir Path dir;

  /**
   * Skips a local-socket case whose {@code transport} end would have to stay half-open where the
   * transport says its local channels cannot ({@code TransportProvider.localHalfClosure()}).
   */
  static void assumeLocalHalfClosure(Fixture f, String transport) {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        f.kind().isTcp() || Fixture.provider(transport).localHalfClosure(),
        "transport "
            + transport
            + " cannot keep a local stream half-open: its local channels close at the peer's end-of-stream");
  }

  /**
   * A server on the fixture's server transport whose accepted streams allow half-closure or not.
   */
  private StreamServer server(Fixture f, boolean halfClosure) throws IpcException {
    ServerOptions options = ServerOptions.defaults().halfClosure(halfClosure);
    return f.makeServer(f.serverIpc(), dir.resolve("hc.sock"), options);
  }

  private static StreamSocket connect(Fixture f, Ipc ipc, StreamServer server) throws IpcException {
    StreamSocket s = f.connect(ipc, server);
    assertTrue(s.poll(CONNECTION_SUCCEEDED, WAIT), "did not connect");
    return s;
  }

  private static StreamSocket accept(StreamServer server) throws IpcException {
    assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT), "no connection to accept");
    return server.acceptConnection();
  }

  private static Set<SocketEvent> state(StreamSocket s) throws IpcException {
    return s.poll(STATE, Timeout.IMMEDIATE);
  }

  /** Behaviour 20 on the client, 21 on a server that allows half-closure: the server answers. */
  @OverConformanceFixtures
  void aServerAnswersAClientThatHasFinishedSending(Fixture f) throws Exception {
    assumeLocalHalfClosure(f, f.serverTransport());
    try (StreamServer server = server(f, true);
        StreamSocket client = connect(f, f.clientIpc(), server);
        StreamSocket accepted = accept(server)) {
      byte[] request = Streams.randomBytes(new Random(1), 100_000);
      Streams.writeFully(client, request, Streams.deadline(10));
      client.shutdownOutput();
      client.shutdownOutput();
      assertThrows(IpcException.class, () -> client.writeToStream(new byte[1]));
      assertFalse(client.readyToWrite(), "READY_TO_WRITE after shutdownOutput");
      assertEquals(EnumSet.of(DETERMINED, CONNECTION_SUCCEEDED), state(client));
      // the server gets every byte, then the end of stream, and stays open for writing
      Streams.assertSameBytes(request, Streams.readToDisconnect(accepted, Streams.deadline(10)));
      assertEquals(
          EnumSet.of(DETERMINED, CONNECTION_SUCCEEDED, REMOTE_DISCONNECTED), state(accepted));
      assertTrue(accepted.poll(READY_TO_WRITE, WAIT));
      byte[] reply = Streams.randomBytes(new Random(2), 200_000);
      Streams.writeFully(accepted, reply, Streams.deadline(10));
      accepted.close();
      // the client still receives, until the server's own end of stream
      Streams.assertSameBytes(reply, Streams.readToDisconnect(client, Streams.deadline(10)));
      assertTrue(client.remoteDisconnected());
      assertFalse(client.connectionSucceeded());
    }
    assertThrowsOnClosed(f);
  }

  private void assertThrowsOnClosed(Fixture f) throws Exception {
    try (Fixture.Connection c = f.connection(dir)) {
      c.client().close();
      assertThrows(IpcException.class, () -> c.client().shutdownOutput());
    }
  }

  /** Behaviour 21 without half-closure: the peer's end of stream is behaviour 4, writes throw. */
  @OverConformanceFixtures
  void withoutHalfClosureAPeersEndOfStreamIsADisconnect(Fixture f) throws Exception {
    try (StreamServer server = server(f, false);
        StreamSocket client = connect(f, f.clientIpc(), server);
        StreamSocket accepted = accept(server)) {
      assertEquals(3, client.writeToStream(new byte[] {1, 2, 3}));
      client.shutdownOutput();
      assertEquals(3, Streams.readToDisconnect(accepted, Streams.deadline(10)).length);
      assertEquals(EnumSet.of(DETERMINED, CONNECTION_FAILED, REMOTE_DISCONNECTED), state(accepted));
      assertFalse(accepted.readyToWrite());
      assertThrows(IpcException.class, () -> accepted.writeToStream(new byte[1]));
      // and the client sees the server go
      assertTrue(client.poll(REMOTE_DISCONNECTED, WAIT));
    }
  }

  /**
   * Behaviour 21, both modes: what the stream accepted before the peer's end of stream is still
   * delivered while the peer reads; it used to be dropped when Netty closed the channel.
   */
  @OverConformanceFixtures
  void whatWasAcceptedBeforeThePeerFinishedSendingIsStillDelivered(Fixture f) throws Exception {
    assumeLocalHalfClosure(f, f.serverTransport());
    for (boolean halfClosure : new boolean[] {false, true}) {
      try (StreamServer server = server(f, halfClosure);
          StreamSocket client = connect(f, f.clientIpc(), server);
          StreamSocket accepted = accept(server)) {
        // the server takes as much as its outbound limit allows, then the client says it is done
        byte[] data = Streams.randomBytes(new Random(3), 4 << 20);
        int taken = 0;
        long deadline = Streams.deadline(10);
        while (taken < data.length) {
          int n = accepted.writeToStream(data, taken, data.length);
          if (n == 0) {
            break;
          }
          taken += n;
          Streams.checkDeadline(deadline, "filling the outbound buffer");
        }
        assertTrue(taken > 0);
        client.shutdownOutput();
        assertTrue(accepted.poll(REMOTE_DISCONNECTED, WAIT), "half-closure " + halfClosure);
        // a caller-driven owner's close lets the bytes go for at most 2 s, and here the same
        // thread reads them only after close returns: it closes once it has read them
        if (!halfClosure && !f.isCallerDriven()) {
          accepted.close();
        }
        byte[] got = Streams.readFully(client, taken, Streams.deadline(20));
        Streams.assertSameBytes(java.util.Arrays.copyOf(data, taken), got);
        accepted.close();
      }
    }
  }

  /** Both sides shut their output down: each sees the other's end of stream, and both close. */
  @OverConformanceFixtures
  void bothSidesShuttingDownOutputEndTheConnection(Fixture f) throws Exception {
    assumeLocalHalfClosure(f, f.serverTransport());
    assumeLocalHalfClosure(f, f.clientTransport());
    try (Ipc clientIpc = f.builder(f.clientTransport()).halfClosure(true).build();
        StreamServer server = server(f, true);
        StreamSocket client = connect(f, clientIpc, server);
        StreamSocket accepted = accept(server)) {
      // the server finishes first: a client that allows half-closure can still send
      accepted.writeToStream(new byte[] {9});
      accepted.shutdownOutput();
      assertEquals(1, Streams.readToDisconnect(client, Streams.deadline(10)).length);
      assertEquals(
          EnumSet.of(DETERMINED, CONNECTION_SUCCEEDED, REMOTE_DISCONNECTED), state(client));
      assertTrue(client.poll(READY_TO_WRITE, WAIT));
      assertEquals(2, client.writeToStream(new byte[] {7, 8}));
      client.shutdownOutput();
      assertEquals(2, Streams.readToDisconnect(accepted, Streams.deadline(10)).length);
      // both directions are finished: each end sees the other's end of stream, neither can write
      for (StreamSocket s : List.of(client, accepted)) {
        assertEquals(EnumSet.of(DETERMINED, CONNECTION_SUCCEEDED, REMOTE_DISCONNECTED), state(s));
        assertFalse(s.readyToWrite());
      }
      client.close();
      accepted.close();
      assertTrue(client.isClosed() && accepted.isClosed());
    }
  }

  /** whenReady and a Poller see a half-closed stream's events. */
  @OverConformanceFixtures
  void whenReadyAndPollersSeeAHalfClosedStream(Fixture f) throws Exception {
    assumeLocalHalfClosure(f, f.serverTransport());
    try (StreamServer server = server(f, true);
        StreamSocket client = connect(f, f.clientIpc(), server);
        StreamSocket accepted = accept(server);
        Poller poller = f.serverIpc().makePoller()) {
      var disconnected = accepted.whenReady(EnumSet.of(REMOTE_DISCONNECTED));
      poller.monitorSocket(accepted, EnumSet.of(REMOTE_DISCONNECTED));
      client.shutdownOutput();
      assertEquals(EnumSet.of(REMOTE_DISCONNECTED), disconnected.get(10, TimeUnit.SECONDS));
      List<PollResult> ready = poller.waitForEvents(WAIT);
      assertEquals(1, ready.size());
      assertEquals(EnumSet.of(REMOTE_DISCONNECTED), ready.get(0).events());
      assertEquals(
          EnumSet.of(READY_TO_WRITE),
          accepted.whenReady(EnumSet.of(READY_TO_WRITE)).get(10, TimeUnit.SECONDS));
      poller.setMonitoredEvents(accepted, EnumSet.of(READY_TO_WRITE, REMOTE_DISCONNECTED));
      assertEquals(
          EnumSet.of(READY_TO_WRITE, REMOTE_DISCONNECTED),
          poller.waitForEvents(WAIT).get(0).events());
      assertEquals(1, accepted.writeToStream(new byte[] {5}));
      assertTrue(client.poll(DATA_AVAILABLE, WAIT));
    }
  }

  /** Where a transport cannot keep a local stream half-open, asking for it is refused up front. */
  @OverConformanceFixtures
  void halfClosureALocalTransportCannotKeepIsRefused(Fixture f) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        f.kind() == Fixture.Kind.LOCAL && f.serverTransport().equals(f.clientTransport()),
        "one case per transport, local only");
    boolean can = Fixture.provider(f.serverTransport()).localHalfClosure();
    Path path = dir.resolve("refused.sock");
    if (can) {
      try (StreamServer server =
          f.serverIpc().makeLocalServer(path, ServerOptions.defaults().halfClosure(true))) {
        assertTrue(
            server.poll(EnumSet.of(SocketEvent.CONNECTION_AVAILABLE), Timeout.IMMEDIATE).isEmpty());
      }
    } else {
      IpcException e =
          assertThrows(
              IpcException.class,
              () ->
                  f.serverIpc().makeLocalServer(path, ServerOptions.defaults().halfClosure(true)));
      assertTrue(e.getMessage().contains(f.serverTransport()), e.getMessage());
      assertFalse(java.nio.file.Files.exists(path), "a refused server left a file behind");
      try (Ipc halfClosing = f.builder(f.clientTransport()).halfClosure(true).build();
          StreamServer server = f.serverIpc().makeLocalServer(path)) {
        assertThrows(
            IpcException.class,
            () -> halfClosing.connectToLocalServer(((LocalServer) server).localPathname()));
      }
    }
  }
}
