package io.bbipc.reliability;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.OverTcpFixtures;
import io.bbipc.conformance.Streams;
import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TCP peer that sends more than the inbound limit and then resets (SO_LINGER 0) while bbipc has
 * stopped reading: the reset is still seen, without the application reading first, every byte the
 * kernel had received stays readable, and bbipc takes no more than its bound past the limit. On
 * both ends of each pair: the bbipc end is once the accepted stream, once the connecting one.
 */
public class PausedResetReliabilityTest {
  private static final String SCENARIO = "2 reset while paused";
  private static final int LIMIT = 16 * 1024;
  private static final int SENT = 2 * 1024 * 1024;
  private static final EnumSet<SocketEvent> STREAM_EVENTS =
      EnumSet.complementOf(EnumSet.of(CONNECTION_AVAILABLE));

  @TempDir Path dir;

  @OverTcpFixtures
  void aResetWhileReadingIsPausedIsSeenAndKeepsEveryReceivedByte(Fixture f) throws Exception {
    for (int limit : new int[] {LIMIT, Ipc.DEFAULT_BUFFER_LIMIT}) {
      for (boolean bbipcAccepts : new boolean[] {true, false}) {
        String transport = bbipcAccepts ? f.serverTransport() : f.clientTransport();
        String what =
            (bbipcAccepts ? "accepted" : "connecting")
                + " end ("
                + transport
                + "), inbound limit "
                + limit;
        try (Ipc ipc = Rel.runtime(f, transport, limit, Ipc.DEFAULT_BUFFER_LIMIT)) {
          check(f, ipc, bbipcAccepts, limit, what);
        }
      }
    }
  }

  private void check(Fixture f, Ipc ipc, boolean bbipcAccepts, int limit, String what)
      throws Exception {
    StreamSocket s;
    JdkPeer peer;
    AutoCloseable other;
    if (bbipcAccepts) {
      StreamServer server = ipc.makeIpv4TcpServer("127.0.0.1", 0);
      peer = JdkPeer.connectTo(f.kind(), server);
      assertTrue(
          server.poll(CONNECTION_AVAILABLE, Fixture.WAIT), what + ": no connection to accept");
      s = server.acceptConnection();
      other = server;
    } else {
      JdkPeer.Listener listener = new JdkPeer.Listener(f.kind(), dir);
      s = ipc.connectToIpv4TcpServer("127.0.0.1", listener.port());
      peer = listener.accept(10);
      assertTrue(s.poll(CONNECTION_SUCCEEDED, Fixture.WAIT), what + ": did not connect");
      other = listener;
    }
    try (other;
        peer;
        s) {
      Rel.Pattern pattern = new Rel.Pattern(11);
      // up to SENT, stopping early once the kernel takes no more for a while
      long sent = peer.write(pattern, 0, SENT, 50, 10, "the peer's writes");
      // bbipc has stopped reading at its limit: the rest waits in the kernel
      long deadline = Streams.deadline(10);
      while (!pausedAt(s, limit)) {
        Streams.checkDeadline(deadline, what + ": the inbound buffer to fill to its limit");
        s.poll(REMOTE_DISCONNECTED, Timeout.seconds(0.01));
      }
      peer.reset();
      if (!transportOf(f, bbipcAccepts).equals("nio")) {
        // the native transports hear of the reset without the application reading (NIO reads
        // only on demand: it sees the reset once the reader drains the buffer, below)
        assertTrue(
            s.poll(REMOTE_DISCONNECTED, Fixture.WAIT),
            what + ": the reset was not seen while paused");
      }
      // a program that reads until the peer is gone must get there: every byte the kernel had
      // received, in order, then REMOTE_DISCONNECTED
      byte[] got = io.bbipc.conformance.Streams.readToDisconnect(s, Streams.deadline(10));
      assertTrue(
          got.length >= Math.min(limit, sent), what + ": only " + got.length + " bytes readable");
      assertTrue(got.length <= sent, what + ": more bytes than sent");
      assertTrue(
          pattern.matches(0, got, 0, got.length), what + ": bytes differ from what was sent");
      assertEquals(
          EnumSet.of(
              SocketEvent.DETERMINED,
              SocketEvent.CONNECTION_FAILED,
              SocketEvent.REMOTE_DISCONNECTED),
          s.poll(STREAM_EVENTS, Timeout.IMMEDIATE),
          what + ": state after the reset");
      assertThrows(
          IpcException.class,
          () -> s.writeToStream(new byte[1]),
          what + ": a write to the reset connection was accepted");
      Rel.figure(SCENARIO, f, what + ", bytes kept of " + sent + " sent", got.length);
    }
  }

  private static String transportOf(Fixture f, boolean bbipcAccepts) {
    return bbipcAccepts ? f.serverTransport() : f.clientTransport();
  }

  /** Whether the stream holds at least {@code limit} bytes and so has stopped reading. */
  private static boolean pausedAt(StreamSocket s, int limit) throws IpcException {
    return peek(s) >= limit;
  }

  private static int peek(StreamSocket s) throws IpcException {
    byte[] all = new byte[4 * Ipc.DEFAULT_BUFFER_LIMIT];
    return s.readFromStream(all, 0, all.length, true);
  }
}
