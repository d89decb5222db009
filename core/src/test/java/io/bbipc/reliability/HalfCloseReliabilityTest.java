package io.bbipc.reliability;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_FAILED;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.DETERMINED;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.ServerOptions;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.OverAllFixtures;
import io.bbipc.conformance.OverTcpFixtures;
import io.bbipc.conformance.Streams;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;

/**
 * Half-close under load and faults: a large answer after the peer finished sending arrives exact, a
 * peer that resets while we still answer is an {@link IpcException} (no hang), a peer that resets
 * is gone rather than half-closed, and many half-close cycles leave no descriptor behind.
 */
public class HalfCloseReliabilityTest {
  private static final String SCENARIO = "half-close";

  private static final EnumSet<SocketEvent> STREAM_EVENTS =
      EnumSet.complementOf(EnumSet.of(CONNECTION_AVAILABLE));

  /** The transports whose providers ask the kernel for a TCP connection's state (TCP_INFO). */
  private static final Set<String> TELL_RESET_AFTER_END = Set.of("epoll", "io_uring");

  @TempDir Path dir;

  private static void assumeServerHalfCloses(Fixture f) {
    Assumptions.assumeTrue(
        f.kind() == Fixture.Kind.TCP || Fixture.provider(f.serverTransport()).localHalfClosure(),
        "transport "
            + f.serverTransport()
            + " cannot keep a local stream half-open: Netty closes its local"
            + " channels at the peer's end-of-stream");
  }

  private StreamServer server(Fixture f, String name) throws IpcException {
    ServerOptions options = ServerOptions.defaults().halfClosure(true);
    return f.kind() == Fixture.Kind.TCP
        ? f.serverIpc().makeIpv4TcpServer("127.0.0.1", 0, options)
        : f.serverIpc().makeLocalServer(dir.resolve(name), options);
  }

  private static StreamSocket accept(StreamServer server) throws IpcException {
    assertTrue(server.poll(CONNECTION_AVAILABLE, Fixture.WAIT), "no connection to accept");
    return server.acceptConnection();
  }

  /** The answer after the client's end of stream: 64 MiB here, 1 GiB in the full pass, exact. */
  @OverAllFixtures
  void aLargeAnswerAfterThePeerFinishedSendingArrivesExact(Fixture f) throws Exception {
    assumeServerHalfCloses(f);
    long total = Rel.size(64L << 20, 1L << 30);
    Rel.Pattern pattern = new Rel.Pattern(21);
    try (StreamServer server = server(f, "big.sock");
        StreamSocket client = f.connect(f.clientIpc(), server);
        StreamSocket accepted = accept(server)) {
      assertTrue(client.poll(CONNECTION_SUCCEEDED, Fixture.WAIT));
      client.writeToStream(new byte[] {1});
      client.shutdownOutput();
      assertTrue(accepted.poll(REMOTE_DISCONNECTED, Fixture.WAIT));
      long sent = 0;
      long received = 0;
      byte[] buf = new byte[Rel.Pattern.MAX_SLICE];
      long deadline = Streams.deadline(Rel.FULL ? 600 : 120);
      while (received < total) {
        if (sent < total) {
          int start = pattern.start(sent);
          sent +=
              accepted.writeToStream(
                  pattern.bytes,
                  start,
                  start + (int) Math.min(Rel.Pattern.MAX_SLICE, total - sent));
          // a caller-driven owner's close lets the bytes go for at most 2 s before it releases the
          // socket, and here the same thread reads them only after close returns: close at the end
          if (sent == total && !f.isCallerDriven()) {
            accepted.close();
          }
        }
        int n = client.readFromStream(buf);
        if (n > 0) {
          assertTrue(pattern.matches(received, buf, 0, n), "bytes differ at offset " + received);
          received += n;
        } else {
          Streams.checkDeadline(deadline, received + " of " + total + " bytes received");
          client.poll(EnumSet.of(DATA_AVAILABLE, REMOTE_DISCONNECTED), Timeout.seconds(0.01));
        }
      }
      assertEquals(total, received);
      accepted.close();
      assertTrue(
          client.poll(REMOTE_DISCONNECTED, Fixture.WAIT), "no end of stream after the answer");
      assertFalse(client.dataAvailable(), "more bytes than were sent");
      Rel.figure(SCENARIO, f, "bytes after the peer's end of stream, exact", Rel.mib(total));
    }
  }

  /** A peer that finished sending, then resets while we still answer: an IpcException, no hang. */
  @OverAllFixtures
  void aPeerThatResetsWhileWeAnswerIsAnIpcException(Fixture f) throws Exception {
    assumeServerHalfCloses(f);
    try (StreamServer server = server(f, "reset.sock");
        JdkPeer peer = JdkPeer.connectTo(f.kind(), server);
        StreamSocket accepted = accept(server)) {
      peer.writeFully(new byte[] {1, 2, 3}, 10);
      peer.channel.shutdownOutput();
      assertEquals(
          3, io.bbipc.conformance.Streams.readToDisconnect(accepted, Streams.deadline(10)).length);
      assertTrue(accepted.connectionSucceeded(), "a half-closed peer is still connected");
      if (f.kind() == Fixture.Kind.TCP) {
        peer.reset();
      } else {
        peer.close();
      }
      long written =
          Streams.writeUntilAWriteFails(
              accepted, Streams.deadline(10), "a write to the gone peer to fail");
      assertTrue(accepted.remoteDisconnected());
      assertFalse(accepted.connectionSucceeded());
      Rel.figure(
          SCENARIO, f, "bytes accepted after the peer went, before the write failed", written);
    }
  }

  /** Half-close cycles (1,000 here, 10,000 in the full pass): descriptors back within 2. */
  @OverAllFixtures
  void manyHalfCloseCyclesLeaveNoDescriptorBehind(Fixture f) throws Exception {
    assumeServerHalfCloses(f);
    Rel.assumeFdCounting();
    int cycles = Rel.size(f.serverTransport().equals(f.clientTransport()) ? 1000 : 100, 10_000);
    try (StreamServer server = server(f, "cycles.sock")) {
      // a few cycles first: the shared runtimes start an event loop (and its descriptors) on
      // first use, which is no leak
      for (int i = 0; i < 8; i++) {
        cycle(f, server, i);
      }
      int baseline = Rel.settledFds();
      for (int i = 0; i < cycles; i++) {
        cycle(f, server, i);
      }
      int after = Rel.awaitFdsAtMost(baseline + 2, 5);
      assertTrue(
          after <= baseline + 2,
          cycles + " cycles: " + baseline + " descriptors before, " + after + " after");
      Rel.figure(
          SCENARIO,
          f,
          cycles + " half-close cycles, descriptors before/after",
          baseline + "/" + after);
    }
  }

  /** One request, shutdownOutput, answer and close. */
  private static void cycle(Fixture f, StreamServer server, int i) throws IpcException {
    try (StreamSocket client = f.connect(f.clientIpc(), server);
        StreamSocket accepted = accept(server)) {
      assertTrue(client.poll(CONNECTION_SUCCEEDED, Fixture.WAIT));
      client.writeToStream(new byte[] {(byte) i});
      client.shutdownOutput();
      byte[] request =
          io.bbipc.conformance.Streams.readToDisconnect(accepted, Streams.deadline(10));
      assertEquals(1, request.length, "cycle " + i);
      assertEquals(1, accepted.writeToStream(request));
      accepted.close();
      byte[] answer = io.bbipc.conformance.Streams.readToDisconnect(client, Streams.deadline(10));
      assertEquals(1, answer.length, "cycle " + i);
      assertEquals((byte) i, answer[0]);
    }
  }

  // ---------------------------------------------------------------- a peer that goes altogether

  /** A bbipc stream that allows half-closure, a JDK peer at its other end, and what made them. */
  private record HalfOpen(StreamSocket bbipc, JdkPeer peer, AutoCloseable maker, Ipc ownIpc)
      implements AutoCloseable {
    @Override
    public void close() throws Exception {
      bbipc.close();
      peer.close();
      maker.close();
      if (ownIpc != null) {
        ownIpc.close();
      }
    }
  }

  /** The bbipc end accepted by a half-closing server, or connecting from a half-closing runtime. */
  private HalfOpen halfOpen(Fixture f, boolean bbipcAccepts) throws Exception {
    if (bbipcAccepts) {
      StreamServer server =
          f.makeServer(
              f.serverIpc(), dir.resolve("gone.sock"), ServerOptions.defaults().halfClosure(true));
      JdkPeer peer = JdkPeer.connectTo(f.kind(), server);
      return new HalfOpen(accept(server), peer, server, null);
    }
    Ipc ipc = f.builder(f.clientTransport()).halfClosure(true).build();
    JdkPeer.Listener listener = new JdkPeer.Listener(f.kind(), dir);
    StreamSocket client = ipc.connectToIpv4TcpServer("127.0.0.1", listener.port());
    JdkPeer peer = listener.accept(10);
    assertTrue(client.poll(CONNECTION_SUCCEEDED, Fixture.WAIT), "the bbipc client did not connect");
    return new HalfOpen(client, peer, listener, ipc);
  }

  private static String role(Fixture f, boolean bbipcAccepts) {
    return bbipcAccepts
        ? "accepted end (" + f.serverTransport() + ")"
        : "connecting end (" + f.clientTransport() + ")";
  }

  /** Waits until the stream holds {@code n} received bytes (peeked, not consumed). */
  private static void awaitBuffered(StreamSocket s, int n, String what) throws IpcException {
    long deadline = Streams.deadline(10);
    byte[] peek = new byte[n + 1];
    while (s.readFromStream(peek, 0, peek.length, true) < n) {
      Streams.checkDeadline(deadline, what + ": " + n + " bytes to arrive");
      s.poll(DATA_AVAILABLE, Timeout.seconds(0.1));
    }
  }

  /** Waits until the JDK peer reads the bbipc end's end-of-stream, running a caller-driven loop. */
  private static void awaitPeerEndOfStream(JdkPeer peer, StreamSocket s, String what)
      throws Exception {
    long deadline = Streams.deadline(10);
    ByteBuffer sink = ByteBuffer.allocate(64);
    while (peer.channel.read(sink) >= 0) {
      sink.clear();
      Streams.checkDeadline(deadline, what + ": the peer to read our end-of-stream");
      s.poll(REMOTE_DISCONNECTED, Timeout.seconds(0.01));
    }
  }

  /**
   * The stream after its peer went: disconnected (behaviour 4), the peer's bytes still readable.
   */
  private static void assertGone(StreamSocket s, byte[] unread, String what) throws IpcException {
    assertTrue(
        s.poll(CONNECTION_FAILED, Fixture.WAIT),
        what
            + ": CONNECTION_FAILED did not hold within 10 s of the peer going; the stream showed "
            + s.poll(STREAM_EVENTS, Timeout.IMMEDIATE));
    EnumSet<SocketEvent> expected = EnumSet.of(DETERMINED, CONNECTION_FAILED, REMOTE_DISCONNECTED);
    if (unread.length > 0) {
      expected.add(DATA_AVAILABLE);
    }
    assertEquals(expected, s.poll(STREAM_EVENTS, Timeout.IMMEDIATE), what + ": events");
    assertArrayEquals(
        unread,
        Streams.readToDisconnect(s, Streams.deadline(10)),
        what + ": the bytes the peer wrote before it went");
    assertThrows(
        IpcException.class,
        () -> s.writeToStream(new byte[1]),
        what + ": a write after the peer went did not throw");
  }

  /**
   * With half-closure on, a peer that resets (SO_LINGER 0) has gone altogether, not just finished
   * sending: the stream is disconnected as without half-closure, and what the peer wrote before
   * stays readable. On the accepted end and on the connecting one, each also after the bbipc end's
   * own shutdownOutput. The reset used to look like an end-of-stream: CONNECTION_SUCCEEDED,
   * READY_TO_WRITE and REMOTE_DISCONNECTED, until a write failed.
   */
  @OverTcpFixtures
  void aPeerThatResetsHasGoneAltogetherEvenWithHalfClosure(Fixture f) throws Exception {
    byte[] sent = {1, 2, 3};
    for (boolean bbipcAccepts : new boolean[] {true, false}) {
      for (boolean oursShutFirst : new boolean[] {false, true}) {
        String what =
            "reset seen by the "
                + role(f, bbipcAccepts)
                + (oursShutFirst ? " after its own shutdownOutput" : "");
        try (NettyLog log = NettyLog.capture();
            HalfOpen e = halfOpen(f, bbipcAccepts)) {
          StreamSocket s = e.bbipc();
          if (oursShutFirst) {
            s.shutdownOutput();
            awaitPeerEndOfStream(e.peer(), s, what);
          }
          e.peer().writeFully(sent, 10);
          // read by bbipc before the reset comes: the reset is then what ends the next read
          awaitBuffered(s, sent.length, what);
          e.peer().reset();
          assertGone(s, sent, what);
          assertEquals(
              List.of(),
              log.pipelineWarnings(),
              what + ": an exception reached the pipeline's tail");
        }
      }
    }
  }

  /**
   * A peer that finished sending and then went altogether, either reset (SO_LINGER 0) or closed and
   * then answered our next write with a reset: where the transport asks the kernel for the
   * connection's state (epoll, io_uring), the stream is disconnected without a further write. NIO
   * cannot tell (the JDK shows no TCP state and the reset comes after the end-of-stream was read):
   * there the next write fails, as {@link #aPeerThatResetsWhileWeAnswerIsAnIpcException} shows.
   */
  @OverTcpFixtures
  void aPeerThatGoesAfterItsEndOfStreamIsSeenGoneWhereTheTransportCanTell(Fixture f)
      throws Exception {
    List<Boolean> ends = new ArrayList<>();
    for (boolean bbipcAccepts : new boolean[] {true, false}) {
      if (TELL_RESET_AFTER_END.contains(bbipcAccepts ? f.serverTransport() : f.clientTransport())) {
        ends.add(bbipcAccepts);
      }
    }
    Assumptions.assumeFalse(
        ends.isEmpty(),
        "neither end's transport can ask the kernel whether a half-closed connection was reset");
    for (boolean bbipcAccepts : ends) {
      for (boolean peerResets : new boolean[] {true, false}) {
        String what =
            (peerResets ? "reset" : "close, then a reset answering our write")
                + " after the peer's end-of-stream, seen by the "
                + role(f, bbipcAccepts);
        try (HalfOpen e = halfOpen(f, bbipcAccepts)) {
          StreamSocket s = e.bbipc();
          e.peer().writeFully(new byte[] {1, 2, 3}, 10);
          e.peer().channel.shutdownOutput();
          assertEquals(3, Streams.readToDisconnect(s, Streams.deadline(10)).length, what);
          // the peer only finished sending: half-closed, still writable
          assertEquals(
              EnumSet.of(DETERMINED, CONNECTION_SUCCEEDED, REMOTE_DISCONNECTED),
              s.poll(
                  EnumSet.of(
                      DETERMINED, CONNECTION_SUCCEEDED, CONNECTION_FAILED, REMOTE_DISCONNECTED),
                  Timeout.IMMEDIATE),
              what + ": before the peer went");
          assertTrue(s.poll(READY_TO_WRITE, Fixture.WAIT), what + ": not writable half-closed");
          if (peerResets) {
            e.peer().reset();
          } else {
            e.peer().close();
            // the peer's kernel answers this byte with a reset; no further write is made
            assertEquals(1, s.writeToStream(new byte[] {9}), what);
          }
          assertGone(s, new byte[0], what);
        }
      }
    }
  }
}
