package io.bbipc.reliability;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.IpcException;
import io.bbipc.ServerOptions;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.testsuite.Fixture;
import io.bbipc.testsuite.OverAllFixtures;
import io.bbipc.testsuite.Streams;
import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;

/**
 * Half-close under load and faults: a large answer after the peer finished sending arrives exact, a
 * peer that resets while we still answer is an {@link IpcException} (no hang), and many half-close
 * cycles leave no descriptor behind.
 */
public class HalfCloseReliabilityTest {
  private static final String SCENARIO = "half-close";

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
          3, io.bbipc.testsuite.Streams.readToDisconnect(accepted, Streams.deadline(10)).length);
      assertTrue(accepted.connectionSucceeded(), "a half-closed peer is still connected");
      if (f.kind() == Fixture.Kind.TCP) {
        peer.reset();
      } else {
        peer.close();
      }
      byte[] block = new byte[64 * 1024];
      long deadline = Streams.deadline(10);
      long written = 0;
      IpcException failed = null;
      while (failed == null) {
        try {
          int n = accepted.writeToStream(block);
          written += n;
          if (n == 0) {
            accepted.poll(
                EnumSet.of(io.bbipc.SocketEvent.READY_TO_WRITE, REMOTE_DISCONNECTED),
                Timeout.seconds(0.05));
          }
        } catch (IpcException e) {
          failed = e;
        }
        Streams.checkDeadline(
            deadline, "a write to the gone peer to fail, " + written + " bytes accepted");
      }
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
      byte[] request = io.bbipc.testsuite.Streams.readToDisconnect(accepted, Streams.deadline(10));
      assertEquals(1, request.length, "cycle " + i);
      assertEquals(1, accepted.writeToStream(request));
      accepted.close();
      byte[] answer = io.bbipc.testsuite.Streams.readToDisconnect(client, Streams.deadline(10));
      assertEquals(1, answer.length, "cycle " + i);
      assertEquals((byte) i, answer[0]);
    }
  }
}
