package io.bbipc.conformance;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;
import static io.bbipc.conformance.Fixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.IpcException;
import io.bbipc.LocalServer;
import io.bbipc.LocalStream;
import io.bbipc.ServerOptions;
import io.bbipc.Timeout;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;

/** Local socket files: reclaiming stale ones, their mode, and who may connect. */
public class SecurityConformanceTest {
  @TempDir Path dir;

  @OverLocalFixtures
  void aStaleSocketIsReclaimedOnlyWhenAskedAndOnlyIfNobodyListens(Fixture f) throws Exception {
    Path path = dir.resolve("stale.sock");
    ServerOptions keep = ServerOptions.defaults().deleteOnClose(false);
    f.serverIpc().makeLocalServer(path, keep).close();
    assertTrue(Files.exists(path, LinkOption.NOFOLLOW_LINKS));
    assertThrows(IpcException.class, () -> f.serverIpc().makeLocalServer(path));
    try (LocalServer reclaimed =
            f.serverIpc().makeLocalServer(path, ServerOptions.defaults().reclaimStaleSocket(true));
        LocalStream client = f.clientIpc().connectToLocalServer(path)) {
      assertTrue(client.poll(CONNECTION_SUCCEEDED, WAIT));
      // a live server is never reclaimed
      IpcException live =
          assertThrows(
              IpcException.class,
              () ->
                  f.serverIpc()
                      .makeLocalServer(path, ServerOptions.defaults().reclaimStaleSocket(true)));
      assertTrue(live.getMessage().contains("live"), live.getMessage());
      assertTrue(reclaimed.poll(CONNECTION_AVAILABLE, WAIT));
    }
    // nor is anything that is not a socket
    Path file = Files.writeString(dir.resolve("file"), "x");
    assertThrows(
        IpcException.class,
        () ->
            f.serverIpc().makeLocalServer(file, ServerOptions.defaults().reclaimStaleSocket(true)));
    assertEquals("x", Files.readString(file));
  }

  @OverLocalFixtures
  void theSocketFileModeCanBeChosen(Fixture f) throws Exception {
    Path path = dir.resolve("group.sock");
    Assumptions.assumeTrue(
        Files.getFileStore(dir).supportsFileAttributeView("posix"), "no POSIX permissions here");
    EnumSet<PosixFilePermission> mode =
        EnumSet.copyOf(PosixFilePermissions.fromString("rw-rw----"));
    try (LocalServer server =
        f.serverIpc().makeLocalServer(path, ServerOptions.defaults().socketFileMode(mode))) {
      assertEquals(mode, Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }
  }

  private static int myUid() throws Exception {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  @OverLocalFixtures
  void onlyAllowedUidsAreAccepted(Fixture f) throws Exception {
    Assumptions.assumeTrue(
        Files.exists(Path.of("/proc/self")), "needs /proc to learn this process's uid");
    int me = myUid();
    boolean credentials = Fixture.provider(f.serverTransport()).hasPeerCredentials();
    Path refusedPath = dir.resolve("nobody.sock");
    if (!credentials) {
      IpcException e =
          assertThrows(
              IpcException.class,
              () ->
                  f.serverIpc()
                      .makeLocalServer(refusedPath, ServerOptions.defaults().allowedPeerUids(me)));
      assertTrue(e.getMessage().contains(f.serverTransport()), e.getMessage());
      assertFalse(Files.exists(refusedPath, LinkOption.NOFOLLOW_LINKS));
      return;
    }
    try (LocalServer mine =
            f.serverIpc()
                .makeLocalServer(
                    dir.resolve("me.sock"), ServerOptions.defaults().allowedPeerUids(me));
        LocalServer others =
            f.serverIpc()
                .makeLocalServer(refusedPath, ServerOptions.defaults().allowedPeerUids(me + 1));
        LocalStream welcome = f.clientIpc().connectToLocalServer(mine.localPathname());
        LocalStream unwelcome = f.clientIpc().connectToLocalServer(others.localPathname())) {
      assertTrue(mine.poll(CONNECTION_AVAILABLE, WAIT));
      try (LocalStream accepted = mine.acceptConnection()) {
        assertEquals(me, accepted.peerCredentials().orElseThrow().uid());
      }
      assertTrue(unwelcome.poll(REMOTE_DISCONNECTED, WAIT), "the unwelcome client was not closed");
      assertEquals(1, others.rejectedConnections());
      assertFalse(others.poll(CONNECTION_AVAILABLE, Timeout.IMMEDIATE));
      assertEquals(0, mine.rejectedConnections());
    }
  }

  @OverLocalFixtures
  void allowedPeerUidsIsRefusedForTcpAndForBadIds(Fixture f) {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            f.serverIpc()
                .makeIpv4TcpServer("127.0.0.1", 0, ServerOptions.defaults().allowedPeerUids(0)));
    assertThrows(
        IllegalArgumentException.class, () -> ServerOptions.defaults().allowedPeerUids(new int[0]));
    assertThrows(
        IllegalArgumentException.class, () -> ServerOptions.defaults().allowedPeerUids(-1));
  }

  @OverLocalFixtures
  void abstractNamesWhereTheTransportHasThem(Fixture f) throws Exception {
    String name = "bbipc-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    boolean serverHas = Fixture.provider(f.serverTransport()).hasAbstractNamespace();
    boolean clientHas = Fixture.provider(f.clientTransport()).hasAbstractNamespace();
    if (!serverHas) {
      UnsupportedOperationException e =
          assertThrows(
              UnsupportedOperationException.class,
              () -> f.serverIpc().makeAbstractLocalServer(name, ServerOptions.defaults()));
      assertTrue(e.getMessage().contains(f.serverTransport()), e.getMessage());
      return;
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> f.serverIpc().makeAbstractLocalServer("", ServerOptions.defaults()));
    assertThrows(
        IllegalArgumentException.class,
        () -> f.serverIpc().makeAbstractLocalServer("a\0b", ServerOptions.defaults()));
    assertThrows(
        IllegalArgumentException.class,
        () -> f.serverIpc().makeAbstractLocalServer("n".repeat(108), ServerOptions.defaults()));
    try (LocalServer server =
        f.serverIpc().makeAbstractLocalServer(name, ServerOptions.defaults())) {
      assertEquals(Path.of("@" + name), server.localPathname());
      assertThrows(
          IpcException.class,
          () -> f.serverIpc().makeAbstractLocalServer(name, ServerOptions.defaults()));
      if (!clientHas) {
        assertThrows(
            UnsupportedOperationException.class,
            () -> f.clientIpc().connectToAbstractLocalServer(name));
        return;
      }
      try (LocalStream client = f.clientIpc().connectToAbstractLocalServer(name)) {
        assertTrue(server.poll(CONNECTION_AVAILABLE, WAIT));
        try (LocalStream accepted = server.acceptConnection()) {
          assertTrue(client.poll(CONNECTION_SUCCEEDED, WAIT));
          assertEquals(server.localPathname(), accepted.localPathname());
          assertEquals(server.localPathname(), client.localPathname());
          assertEquals(2, client.writeToStream(new byte[] {4, 2}));
          assertEquals(2, Streams.readFully(accepted, 2, Streams.deadline(10)).length);
          assertEquals(
              ProcessHandle.current().pid(), accepted.peerCredentials().orElseThrow().pid());
        }
      }
    }
    io.bbipc.NoLocalServerException gone =
        assertThrows(
            io.bbipc.NoLocalServerException.class,
            () -> f.clientIpc().connectToAbstractLocalServer(name));
    assertEquals(Path.of("@" + name), gone.pathname());
  }
}
