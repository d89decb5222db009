package io.bbipc.reliability;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.BasicBinaryIpc;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.OverAllFixtures;
import io.bbipc.conformance.Streams;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue item 3: a forked peer JVM is killed with SIGKILL mid-transfer. Two connections run at once,
 * each streaming both ways: one the test accepted (server transport) from the peer's client (client
 * transport), one the test connected (client transport) to the peer's server (server transport).
 * The survivor sees {@code REMOTE_DISCONNECTED} within 1 s on both, what it read is an exact prefix
 * of what the peer sent, and its fd count returns to its baseline.
 */
public class KilledPeerReliabilityTest {
  private static final String SCENARIO = "3 peer process killed";
  private static final long ONE_SECOND = 1_000_000_000L;
  private static final long TEST_SEED = 31;
  private static final long PEER_SEED = 32;

  @TempDir Path dir;

  @OverAllFixtures
  void aKilledPeerIsADisconnectWithinOneSecondAndLeavesAnExactPrefix(Fixture f) throws Exception {
    Rel.assumeFdCounting();
    f.serverIpc();
    f.clientIpc();
    long before = Rel.size(4L << 20, 64L << 20);
    int baseline = Rel.settledFds();
    Rel.Pattern ours = new Rel.Pattern(TEST_SEED);
    Rel.Pattern theirs = new Rel.Pattern(PEER_SEED);
    Pump accepted;
    Pump connecting;
    long killedAt;
    int exit;
    try (StreamServer server = f.makeServer(dir)) {
      String target =
          f.kind() == Fixture.Kind.TCP
              ? String.valueOf(((io.bbipc.Ipv4TcpServer) server).port())
              : ((io.bbipc.LocalServer) server).localPathname().toString();
      Path peerPath = dir.resolve("peer.sock");
      List<String> cmd =
          Forked.command(
              System.getProperty("java.class.path"),
              PeerProcess.class,
              List.of("-Dbbipc.transport=" + f.clientTransport()),
              List.of(
                  f.kind().name(),
                  f.serverTransport(),
                  f.clientTransport(),
                  target,
                  peerPath.toString(),
                  String.valueOf(TEST_SEED),
                  String.valueOf(PEER_SEED)));
      try (Forked peer = Forked.start(cmd, dir.resolve("peer.err"))) {
        String listening = peer.await("LISTENING ", 60).substring("LISTENING ".length());
        StreamSocket toPeer =
            f.kind() == Fixture.Kind.TCP
                ? f.clientIpc().connectToIpv4TcpServer("127.0.0.1", Integer.parseInt(listening))
                : f.clientIpc().connectToLocalServer(Path.of(listening));
        assertTrue(
            server.poll(CONNECTION_AVAILABLE, Timeout.seconds(30)), "the peer did not connect");
        StreamSocket fromPeer = server.acceptConnection();
        try (toPeer;
            fromPeer) {
          peer.await("CONNECTED", 30);
          accepted = new Pump(fromPeer, ours, theirs);
          connecting = new Pump(toPeer, ours, theirs);
          Set<SocketEvent> events = EnumSet.of(DATA_AVAILABLE, READY_TO_WRITE, REMOTE_DISCONNECTED);
          List<Set<SocketEvent>> both = List.of(events, events);
          List<StreamSocket> sockets = List.of(fromPeer, toPeer);
          // stream both ways until each side has checked enough, then kill the peer mid-transfer
          long peerVerified = 0;
          long deadline = Streams.deadline(60);
          while (Math.min(accepted.read, connecting.read) < before || peerVerified < before) {
            Streams.checkDeadline(
                deadline,
                "the transfer before the kill: read "
                    + accepted.read
                    + " / "
                    + connecting.read
                    + ", the peer checked "
                    + peerVerified);
            assertTrue(peer.process.isAlive(), () -> "the peer died early: " + peer.stderrText());
            boolean progress = accepted.step(true) | connecting.step(true);
            assertEquals(-1, accepted.mismatchAt, "bytes from the peer differ from what it sent");
            assertEquals(-1, connecting.mismatchAt, "bytes from the peer differ from what it sent");
            for (String line = peer.poll(); line != null; line = peer.poll()) {
              if (line.startsWith("VERIFIED ")) {
                String[] parts = line.split(" ");
                peerVerified = Math.min(Long.parseLong(parts[1]), Long.parseLong(parts[2]));
              }
            }
            if (!progress) {
              BasicBinaryIpc.pollSockets(sockets, both, Timeout.seconds(0.1));
            }
          }
          killedAt = System.nanoTime();
          peer.process.destroyForcibly();
          // the survivor keeps reading and writing, as a live application would
          deadline = Streams.deadline(10);
          while (!(accepted.drained() && connecting.drained())) {
            Streams.checkDeadline(deadline, "REMOTE_DISCONNECTED after the kill");
            boolean progress = accepted.step(true) | connecting.step(true);
            if (!progress) {
              BasicBinaryIpc.pollSockets(sockets, both, Timeout.seconds(0.1));
            }
          }
          exit = peer.waitFor(10);
        }
      }
    }
    int after = Rel.awaitFdsAtMost(baseline, 3);
    for (Pump p : List.of(accepted, connecting)) {
      String which =
          p == accepted
              ? "accepted end (" + f.serverTransport() + ")"
              : "connecting end (" + f.clientTransport() + ")";
      long took = p.disconnectSeenAt - killedAt;
      assertEquals(-1, p.mismatchAt, which + ": what was read is not a prefix of what was sent");
      assertEquals(
          Pump.crcOfPrefix(theirs, p.read), p.receivedCrc(), which + ": CRC of the prefix");
      Rel.timedBound(took, ONE_SECOND, f + ", " + which + ": REMOTE_DISCONNECTED after SIGKILL");
      Rel.figure(SCENARIO, f, which + ", time to REMOTE_DISCONNECTED after SIGKILL", Rel.ms(took));
      Rel.figure(
          SCENARIO,
          f,
          which + ", received",
          Rel.mib(p.read)
              + " (exact prefix, CRC32C "
              + Long.toHexString(p.receivedCrc())
              + "), sent "
              + Rel.mib(p.written));
    }
    assertEquals(137, exit, "the peer was meant to die of SIGKILL");
    Rel.figure(SCENARIO, f, "fds before / after", baseline + " / " + after);
    assertTrue(after <= baseline + 2, "open fds: " + after + " after, " + baseline + " before");
  }
}
