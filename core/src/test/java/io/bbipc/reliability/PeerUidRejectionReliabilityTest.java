package io.bbipc.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.LocalServer;
import io.bbipc.ServerOptions;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.OverLocalFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue item 11 with a real other user: a client running as uid 65534, which the socket file's mode
 * (0666) lets in, connects to a server that admits only this process's uid, and at once writes a
 * byte, as any client would. The server must close it before {@code acceptConnection} could return
 * it, count it, and the client must see the close.
 */
public class PeerUidRejectionReliabilityTest {
  private static final String SCENARIO = "9-12 local-socket security";

  @TempDir Path dir;

  @OverLocalFixtures
  void aClientOfAUidNotAllowedIsClosedBeforeAcceptAndSeesIt(Fixture f) throws Exception {
    Assumptions.assumeTrue(
        Fixture.provider(f.serverTransport()).hasPeerCredentials(),
        f.serverTransport()
            + " cannot tell peer credentials: makeLocalServer refuses allowedPeerUids there "
            + "(SecurityConformanceTest checks that)");
    String unavailable = OtherUser.unavailable();
    Assumptions.assumeTrue(unavailable == null, unavailable);
    int me = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    try (OtherUser.Servers servers = new OtherUser.Servers(f)) {
      LocalServer mine =
          servers.add(
              "mine", ServerOptions.defaults().socketFileMode(OtherUser.WORLD).allowedPeerUids(me));
      Map<String, String> results = servers.runClient(dir.resolve("uid.err"));
      Rel.figure(
          SCENARIO,
          f,
          "11 a client running as uid "
              + OtherUser.UID
              + " to a server admitting uid "
              + me
              + " only",
          results + ", rejected connections counted: " + mine.rejectedConnections());
      assertTrue(
          results.get("mine").startsWith("CLOSED"),
          "the client of a uid not allowed was not closed: "
              + results.get("mine")
              + " (rejected connections counted: "
              + mine.rejectedConnections()
              + ")");
      assertEquals(1, mine.rejectedConnections(), "rejected connections");
      assertNull(
          servers.peerUid(mine), "acceptConnection returned a connection from a uid not allowed");
    }
  }
}
