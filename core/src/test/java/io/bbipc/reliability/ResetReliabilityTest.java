package io.bbipc.reliability;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_FAILED;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.DETERMINED;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.ServerOptions;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.OverAllFixtures;
import io.bbipc.conformance.OverTcpFixtures;
import io.bbipc.conformance.Streams;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue item 2: resets. A peer that resets (SO_LINGER 0), a peer that closes with unread data, and
 * a peer that vanishes while not reading, seen only through a failed write: each becomes {@code
 * REMOTE_DISCONNECTED} within 1 s, nothing reaches the pipeline's tail, and a later write throws
 * {@link IpcException}. Each on both ends of the pair: the bbipc end is once the accepted stream
 * (server transport) and once the connecting one (client transport).
 */
public class ResetReliabilityTest {
  private static final String SCENARIO = "2 reset";

  /** The bound the issue sets on seeing a reset. */
  private static final long ONE_SECOND = 1_000_000_000L;

  private static final int SMALL_INBOUND = 16 * 1024;
  private static final int SMALL_OUTBOUND = 64 * 1024;

  @TempDir Path dir;

  /** The bbipc end of a connection to a JDK peer, on the fixture's server or client side. */
  private record Ends(StreamSocket bbipc, JdkPeer peer, AutoCloseable cleanup)
      implements AutoCloseable {
    @Override
    public void close() throws Exception {
      bbipc.close();
      peer.close();
      cleanup.close();
    }
  }

  private Ends withJdkPeer(Fixture f, Ipc ipc, boolean bbipcAccepts) throws Exception {
    if (bbipcAccepts) {
      StreamServer server = f.makeServer(ipc, dir.resolve("x.sock"));
      JdkPeer peer = JdkPeer.connectTo(f.kind(), server);
      assertTrue(server.poll(CONNECTION_AVAILABLE, Fixture.WAIT), "no connection to accept");
      return new Ends(server.acceptConnection(), peer, server);
    }
    JdkPeer.Listener listener = new JdkPeer.Listener(f.kind(), dir);
    StreamSocket client =
        f.kind() == Fixture.Kind.TCP
            ? ipc.connectToIpv4TcpServer("127.0.0.1", listener.port())
            : ipc.connectToLocalServer(listener.path);
    JdkPeer peer = listener.accept(10);
    assertTrue(client.poll(CONNECTION_SUCCEEDED, Fixture.WAIT), "the bbipc client did not connect");
    return new Ends(client, peer, listener);
  }

  private static String role(Fixture f, boolean bbipcAccepts) {
    return bbipcAccepts
        ? "accepted end (" + f.serverTransport() + ")"
        : "connecting end (" + f.clientTransport() + ")";
  }

  /** Waits for REMOTE_DISCONNECTED and returns how long it took after {@code since}. */
  private static long awaitDisconnect(StreamSocket s, long since, String what) throws IpcException {
    assertTrue(
        s.poll(REMOTE_DISCONNECTED, Fixture.WAIT), what + ": no REMOTE_DISCONNECTED within 10 s");
    long took = System.nanoTime() - since;
    Rel.timedBound(took, ONE_SECOND, what + ": REMOTE_DISCONNECTED");
    return took;
  }

  private static void assertQuietTail(NettyLog log, String what) {
    assertEquals(
        List.of(), log.pipelineWarnings(), what + ": an exception reached the pipeline's tail");
  }

  @OverTcpFixtures
  void aLingerZeroResetIsADisconnectWithinOneSecondAndKeepsWhatArrived(Fixture f) throws Exception {
    for (boolean bbipcAccepts : new boolean[] {true, false}) {
      Ipc ipc = bbipcAccepts ? f.serverIpc() : f.clientIpc();
      String what = "SO_LINGER 0 reset seen by the " + role(f, bbipcAccepts);
      try (NettyLog log = NettyLog.capture();
          Ends e = withJdkPeer(f, ipc, bbipcAccepts)) {
        byte[] hello = new byte[100];
        new java.util.Random(7).nextBytes(hello);
        e.peer().writeFully(hello, 10);
        long deadline = Streams.deadline(10);
        byte[] peek = new byte[200];
        while (e.bbipc().readFromStream(peek, 0, peek.length, true) < hello.length) {
          Streams.checkDeadline(deadline, what + ": the 100 bytes to arrive");
          e.bbipc().poll(DATA_AVAILABLE, Timeout.seconds(1));
        }
        long t0 = System.nanoTime();
        e.peer().reset();
        long took = awaitDisconnect(e.bbipc(), t0, what);
        byte[] got = new byte[200];
        assertEquals(
            hello.length,
            e.bbipc().readFromStream(got),
            what + ": bytes received before the reset were lost");
        assertEquals(
            java.util.Arrays.toString(hello),
            java.util.Arrays.toString(java.util.Arrays.copyOf(got, hello.length)));
        assertThrows(
            IpcException.class,
            () -> e.bbipc().writeToStream(new byte[1]),
            what + ": a write after the reset did not throw");
        assertQuietTail(log, what);
        Rel.figure(SCENARIO, f, what + ", time to REMOTE_DISCONNECTED", Rel.ms(took));
      }
    }
  }

  @OverAllFixtures
  void aPeerClosingWithUnreadDataIsADisconnectWithinOneSecond(Fixture f) throws Exception {
    try (Ipc serverIpc = Rel.runtime(f, f.serverTransport(), SMALL_INBOUND, SMALL_OUTBOUND);
        Ipc clientIpc = Rel.runtime(f, f.clientTransport(), SMALL_INBOUND, SMALL_OUTBOUND);
        StreamServer server = f.makeServer(serverIpc, dir.resolve("u.sock"))) {
      for (boolean acceptedCloses : new boolean[] {true, false}) {
        StreamSocket client = f.connect(clientIpc, server);
        assertTrue(server.poll(CONNECTION_AVAILABLE, Fixture.WAIT));
        StreamSocket accepted = server.acceptConnection();
        StreamSocket closing = acceptedCloses ? accepted : client;
        StreamSocket survivor = acceptedCloses ? client : accepted;
        String what =
            "peer with unread data closed, seen by the "
                + (acceptedCloses
                    ? "connecting end (" + f.clientTransport() + ")"
                    : "accepted end (" + f.serverTransport() + ")");
        try (NettyLog log = NettyLog.capture();
            client;
            accepted) {
          assertTrue(client.poll(CONNECTION_SUCCEEDED, Fixture.WAIT));
          // the survivor writes until the closing end has stopped reading and every buffer is full
          long written =
              Rel.writeUntilFull(
                  survivor,
                  new Rel.Pattern(2),
                  64 * 1024,
                  what + ": the flood to fill the buffers");
          long t0 = System.nanoTime();
          closing.close();
          long took = awaitDisconnect(survivor, t0, what);
          assertThrows(
              IpcException.class,
              () -> survivor.writeToStream(new byte[1]),
              what + ": a write after the reset did not throw");
          assertQuietTail(log, what);
          Rel.figure(
              SCENARIO,
              f,
              what + ", time to REMOTE_DISCONNECTED",
              Rel.ms(took) + " (" + Rel.kib(written) + " unread)");
        }
      }
    }
  }

  @OverAllFixtures
  void aPeerGoneWhileNotReadingIsSeenThroughAFailedWrite(Fixture f) throws Exception {
    for (boolean bbipcAccepts : new boolean[] {true, false}) {
      String transport = bbipcAccepts ? f.serverTransport() : f.clientTransport();
      String what =
          "peer gone while not reading, seen through a failed write by the "
              + role(f, bbipcAccepts);
      try (Ipc ipc = Rel.runtime(f, transport, SMALL_INBOUND, SMALL_OUTBOUND);
          NettyLog log = NettyLog.capture();
          Ends e = withJdkPeer(f, ipc, bbipcAccepts)) {
        StreamSocket x = e.bbipc();
        // the peer floods us until we stop reading (our inbound limit) and its kernel buffers fill
        Rel.Pattern theirs = new Rel.Pattern(3);
        byte[] peek = new byte[1 << 20];
        long flooded = 0;
        int buffered;
        long floodDeadline = Streams.deadline(30);
        // a full kernel buffer alone proves nothing (we may just be slow): our buffer must be full
        // too
        while ((buffered = x.readFromStream(peek, 0, peek.length, true)) < SMALL_INBOUND) {
          Streams.checkDeadline(
              floodDeadline,
              what
                  + ": our reading to pause, "
                  + buffered
                  + " bytes buffered after "
                  + flooded
                  + " sent");
          flooded += e.peer().flood(theirs, flooded, 30);
        }
        flooded += e.peer().flood(theirs, flooded, 30);
        // we write until the peer, which never reads, takes no more for now
        Rel.Pattern ours = new Rel.Pattern(4);
        long written = Rel.writeUntilFull(x, ours, 64 * 1024, what + ": our writes to stall");
        assertTrue(x.connectionSucceeded() && !x.remoteDisconnected());
        // the peer vanishes with unread data; we are not reading, so only a write can fail: keep
        // writing, as an application that is not reading would
        long t0 = System.nanoTime();
        e.peer().close();
        int writes = 0;
        boolean threw = false;
        long until = Streams.deadline(10);
        while (!x.remoteDisconnected()) {
          Streams.checkDeadline(
              until, what + ": no REMOTE_DISCONNECTED after " + writes + " writes");
          try {
            int start = ours.start(written);
            written += x.writeToStream(ours.bytes, start, start + 1024);
            writes++;
          } catch (IpcException gone) {
            threw = true;
            break;
          }
          x.poll(REMOTE_DISCONNECTED, Timeout.seconds(0.05));
        }
        long took = System.nanoTime() - t0;
        assertTrue(x.remoteDisconnected(), what + ": a write threw, yet no REMOTE_DISCONNECTED");
        Rel.timedBound(took, ONE_SECOND, what + ": REMOTE_DISCONNECTED");
        assertThrows(
            IpcException.class,
            () -> x.writeToStream(new byte[1]),
            what + ": a write after the reset did not throw");
        // what we had buffered before the reset is still ours, exactly as sent
        byte[] all = new byte[16 << 20];
        int kept = x.readFromStream(all, 0, all.length, true);
        assertTrue(
            kept >= buffered, what + ": buffered bytes were lost: " + kept + " < " + buffered);
        assertTrue(
            theirs.matches(0, all, 0, kept), what + ": buffered bytes differ from what was sent");
        assertQuietTail(log, what);
        Rel.figure(
            SCENARIO,
            f,
            what + ", time to REMOTE_DISCONNECTED",
            Rel.ms(took)
                + " ("
                + writes
                + " writes after the reset"
                + (threw ? ", the last threw" : "")
                + "; inbound limit "
                + Rel.kib(SMALL_INBOUND)
                + ", "
                + Rel.kib(buffered)
                + " buffered when reading paused, "
                + Rel.kib(kept)
                + " after the reset, all as sent)");
      }
    }
  }

  /**
   * A client that writes and resets before its connection is accepted: the connection is still
   * offered with its bytes, and once they are read the peer is seen gone, with half-closure or
   * without. On io_uring it never was (Netty 4.2.18 read the bytes, found the socket empty and
   * waited for a readiness that the reset, having come with them, never gave again).
   */
  @OverTcpFixtures
  void aClientThatWroteAndResetBeforeItWasAcceptedIsOfferedWithItsBytesThenGone(Fixture f)
      throws Exception {
    byte[] sent = {7, 8, 9};
    for (boolean halfClosure : new boolean[] {false, true}) {
      String what = "accepted end (" + f.serverTransport() + "), half-closure " + halfClosure;
      // a server that lets one accepted stream wait stops accepting while one does, so the
      // second connection writes and resets in the kernel's queue, before bbipc accepts it
      ServerOptions options = ServerOptions.defaults().backlog(1).halfClosure(halfClosure);
      try (NettyLog log = NettyLog.capture();
          StreamServer server = f.makeServer(f.serverIpc(), dir.resolve("r.sock"), options);
          JdkPeer first = JdkPeer.connectTo(f.kind(), server)) {
        assertTrue(server.poll(CONNECTION_AVAILABLE, Fixture.WAIT), what + ": no first connection");
        try (JdkPeer second = JdkPeer.connectTo(f.kind(), server)) {
          second.writeFully(sent, 10);
          second.reset();
        }
        try (StreamSocket waiting = server.acceptConnection()) {
          assertTrue(
              server.poll(CONNECTION_AVAILABLE, Fixture.WAIT),
              what + ": the connection reset before it was accepted was not offered");
          try (StreamSocket s = server.acceptConnection()) {
            assertArrayEquals(
                sent,
                Streams.readToDisconnect(s, Streams.deadline(10)),
                what + ": the bytes written before the reset");
            assertEquals(
                EnumSet.of(DETERMINED, CONNECTION_FAILED, REMOTE_DISCONNECTED),
                s.poll(EnumSet.complementOf(EnumSet.of(CONNECTION_AVAILABLE)), Timeout.IMMEDIATE),
                what + ": events once read");
            assertThrows(
                IpcException.class,
                () -> s.writeToStream(new byte[1]),
                what + ": a write after the reset did not throw");
          }
        }
        assertQuietTail(log, what);
      }
    }
  }
}
