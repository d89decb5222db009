package io.bbipc.conformance;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.conformance.Fixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv4TcpStream;
import io.bbipc.LocalServer;
import io.bbipc.LocalStream;
import io.bbipc.NoConnectionAvailableException;
import io.bbipc.NoLocalServerException;
import io.bbipc.ServerOptions;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.MethodSource;

/** Servers of both kinds, TCP addresses and local socket files, on every transport. */
public class ServerConformanceTest {
  @TempDir Path dir;

  static List<Fixture> servers() {
    return Fixture.conformanceSameTransport();
  }

  @PerFixture
  @MethodSource("servers")
  void acceptWithNothingWaitingThrowsAndASecondServerOnTheSameAddressFails(Fixture f)
      throws Exception {
    try (StreamServer server = f.makeServer(dir)) {
      assertFalse(server.connectionAvailable());
      NoConnectionAvailableException e =
          assertThrows(NoConnectionAvailableException.class, server::acceptConnection);
      assertEquals(server, e.socket());
      Ipc ipc = f.serverIpc();
      if (f.kind().isTcp()) {
        int port = Fixture.port(server);
        IpcException taken =
            assertThrows(
                IpcException.class,
                () -> {
                  if (f.kind() == Fixture.Kind.TCP6) {
                    ipc.makeIpv6TcpServer("::1", port);
                  } else {
                    ipc.makeIpv4TcpServer("127.0.0.1", port);
                  }
                });
        assertTrue(taken.getMessage().contains(String.valueOf(port)), taken.getMessage());
      } else {
        Path path = ((LocalServer) server).localPathname();
        Object key =
            Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        assertThrows(IpcException.class, () -> ipc.makeLocalServer(path));
        assertEquals(
            key,
            Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class).fileKey(),
            "the failed server replaced the socket file");
        // the first server still works through its file
        try (StreamSocket client = f.connect(server)) {
          assertTrue(server.poll(CONNECTION_AVAILABLE, WAIT));
        }
      }
    }
  }

  @OverConformanceFixtures
  void anAcceptedStreamOutlivesItsServer(Fixture f) throws Exception {
    Fixture.Connection c = f.connection(dir);
    try (c) {
      c.server().close();
      assertTrue(c.server().isClosed());
      assertThrows(IpcException.class, () -> c.server().acceptConnection());
      assertFalse(c.server().connectionAvailable());
      assertEquals(2, c.client().writeToStream(new byte[] {1, 2}));
      assertTrue(c.accepted().poll(DATA_AVAILABLE, WAIT));
      assertTrue(c.accepted().connectionSucceeded());
      assertEquals(1, c.accepted().writeToStream(new byte[] {3}));
      assertTrue(c.client().poll(DATA_AVAILABLE, WAIT));
    }
  }

  @PerFixture
  @MethodSource("servers")
  void closingAServerClosesConnectionsNobodyAccepted(Fixture f) throws Exception {
    StreamServer server = f.makeServer(dir);
    StreamSocket client = f.connect(server);
    try (client) {
      assertTrue(server.poll(CONNECTION_AVAILABLE, WAIT));
      server.close();
      assertTrue(client.poll(io.bbipc.SocketEvent.REMOTE_DISCONNECTED, WAIT));
    }
  }

  @OverConformanceFixtures
  void connectionsAreAcceptedInOrderAndTheEventIsLevelTriggered(Fixture f) throws Exception {
    try (StreamServer server = f.makeServer(dir)) {
      StreamSocket a = f.connect(server);
      assertTrue(a.poll(CONNECTION_SUCCEEDED, WAIT));
      assertTrue(server.poll(CONNECTION_AVAILABLE, WAIT));
      StreamSocket b = f.connect(server);
      try (a;
          b) {
        assertTrue(b.poll(CONNECTION_SUCCEEDED, WAIT));
        a.writeToStream(new byte[] {'a'});
        b.writeToStream(new byte[] {'b'});
        long deadline = Streams.deadline(10);
        java.util.Set<Byte> seen = new java.util.HashSet<>();
        while (seen.size() < 2) {
          Streams.checkDeadline(deadline, "two connections");
          assertTrue(server.poll(CONNECTION_AVAILABLE, WAIT), "level-triggered: still available");
          try (StreamSocket s = server.acceptConnection()) {
            seen.add(Streams.readFully(s, 1, deadline)[0]);
          }
        }
        assertEquals(Set.of((byte) 'a', (byte) 'b'), seen);
        assertFalse(server.poll(CONNECTION_AVAILABLE, Timeout.IMMEDIATE));
      }
    }
  }

  // ---------------------------------------------------------------- TCP addresses

  @OverTcpFixtures
  void hostAddressesAndPortsWithAnExplicitLocalPort(Fixture f) throws Exception {
    int clientPort;
    try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      clientPort = probe.getLocalPort();
    }
    try (Ipv4TcpServer server = f.serverIpc().makeIpv4TcpServer("127.0.0.1", 0)) {
      assertNotEquals(0, server.port());
      assertEquals("127.0.0.1", server.hostAddress());
      assertFalse(server.poll(CONNECTION_AVAILABLE, Timeout.IMMEDIATE));
      try (Ipv4TcpStream client =
          f.clientIpc()
              .connectToIpv4TcpServer("127.0.0.1", server.port(), "127.0.0.1", clientPort)) {
        assertTrue(server.poll(CONNECTION_AVAILABLE, WAIT));
        try (Ipv4TcpStream remote = server.acceptConnection()) {
          assertTrue(remote.poll(CONNECTION_SUCCEEDED, WAIT));
          assertTrue(client.poll(CONNECTION_SUCCEEDED, WAIT));
          assertEquals(server.port(), remote.localPort());
          assertEquals("127.0.0.1", remote.localHostAddress());
          assertEquals(clientPort, remote.remotePort());
          assertEquals("127.0.0.1", remote.remoteHostAddress());
          assertEquals(clientPort, client.localPort());
          assertEquals("127.0.0.1", client.localHostAddress());
          assertEquals(server.port(), client.remotePort());
          assertEquals("127.0.0.1", client.remoteHostAddress());
          // addresses outlive the connection
          client.close();
          assertEquals(clientPort, client.localPort());
        }
      }
    }
  }

  @OverTcpFixtures
  void aServerOnAnyAddressTakesLoopbackClients(Fixture f) throws Exception {
    try (Ipv4TcpServer server = f.serverIpc().makeIpv4TcpServer("0.0.0.0", 0)) {
      assertEquals("0.0.0.0", server.hostAddress());
      try (Ipv4TcpStream client =
          f.clientIpc().connectToIpv4TcpServer("127.0.0.1", server.port())) {
        assertTrue(client.poll(CONNECTION_SUCCEEDED, WAIT));
        assertTrue(client.localPort() > 0);
      }
    }
  }

  @OverTcpFixtures
  void aConnectToALoopbackPortWithNoListenerFails(Fixture f) throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = probe.getLocalPort();
    }
    try (Ipv4TcpStream client = f.clientIpc().connectToIpv4TcpServer("127.0.0.1", port)) {
      Set<io.bbipc.SocketEvent> events =
          client.poll(
              EnumSet.of(
                  io.bbipc.SocketEvent.DETERMINED,
                  io.bbipc.SocketEvent.CONNECTION_FAILED,
                  CONNECTION_SUCCEEDED),
              WAIT);
      assertEquals(
          EnumSet.of(io.bbipc.SocketEvent.DETERMINED, io.bbipc.SocketEvent.CONNECTION_FAILED),
          events);
      assertTrue(client.connectionFailed());
      assertFalse(client.connectionSucceeded());
      assertFalse(client.remoteDisconnected());
      assertThrows(IpcException.class, () -> client.writeToStream(new byte[1]));
    }
  }

  @OverTcpFixtures
  void aLocalPortInUseMakesTheConnectionFail(Fixture f) throws Exception {
    try (Ipv4TcpServer server = f.serverIpc().makeIpv4TcpServer("127.0.0.1", 0);
        Ipv4TcpServer occupier = f.serverIpc().makeIpv4TcpServer("127.0.0.1", 0);
        Ipv4TcpStream client =
            f.clientIpc()
                .connectToIpv4TcpServer("127.0.0.1", server.port(), "127.0.0.1", occupier.port())) {
      assertTrue(client.poll(io.bbipc.SocketEvent.CONNECTION_FAILED, WAIT));
      assertTrue(client.determined());
    }
  }

  @OverTcpFixtures
  void aClosedServerFreesItsPortAtOnce(Fixture f) throws Exception {
    ServerOptions reuse = ServerOptions.defaults().reuseAddress(true);
    int port = 0;
    for (int i = 0; i < 50; i++) {
      Ipv4TcpServer server = f.serverIpc().makeIpv4TcpServer("127.0.0.1", port, reuse);
      port = server.port();
      server.close();
      try (Ipv4TcpStream client = f.clientIpc().connectToIpv4TcpServer("127.0.0.1", port)) {
        assertTrue(client.poll(io.bbipc.SocketEvent.DETERMINED, WAIT));
        assertTrue(client.connectionFailed(), "round " + i + ": connected to a closed server");
      }
    }
  }

  // ---------------------------------------------------------------- local socket files

  @OverLocalFixtures
  void theSocketFileExistsWhileOpenAndIsPrivateAndGoneAfterClose(Fixture f) throws Exception {
    Path path = dir.resolve("s.sock");
    LocalServer server = f.serverIpc().makeLocalServer(path);
    try (server) {
      assertTrue(Files.exists(path, LinkOption.NOFOLLOW_LINKS));
      assertEquals(path, server.localPathname());
      if (Files.getFileStore(path).supportsFileAttributeView("posix")) {
        assertEquals(
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
            Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
      }
      // only the socket file is in the directory: the temporary name is gone
      try (var list = Files.list(dir)) {
        assertEquals(List.of(path), list.toList());
      }
    }
    assertFalse(Files.exists(path, LinkOption.NOFOLLOW_LINKS));
    // the path can be used again at once
    try (LocalServer again = f.serverIpc().makeLocalServer(path)) {
      assertTrue(Files.exists(path, LinkOption.NOFOLLOW_LINKS));
    }
  }

  @OverLocalFixtures
  void deleteOnCloseFalseLeavesTheFileAndClosingAStreamNeverRemovesIt(Fixture f) throws Exception {
    Path path = dir.resolve("keep.sock");
    try (LocalServer server =
            f.serverIpc().makeLocalServer(path, ServerOptions.defaults().deleteOnClose(false));
        LocalStream client = f.clientIpc().connectToLocalServer(path)) {
      assertTrue(server.poll(CONNECTION_AVAILABLE, WAIT));
      server.acceptConnection().close();
      client.close();
      assertTrue(Files.exists(path, LinkOption.NOFOLLOW_LINKS));
    }
    assertTrue(Files.exists(path, LinkOption.NOFOLLOW_LINKS));
  }

  @OverLocalFixtures
  void aServerDoesNotDeleteAFileThatIsNoLongerItsOwn(Fixture f) throws Exception {
    Path path = dir.resolve("moved.sock");
    LocalServer server = f.serverIpc().makeLocalServer(path);
    Files.delete(path);
    Files.writeString(path, "someone else's");
    server.close();
    assertEquals("someone else's", Files.readString(path));
  }

  @OverLocalFixtures
  void anythingAlreadyAtThePathIsRefusedAndLeftUntouched(Fixture f) throws Exception {
    Ipc ipc = f.serverIpc();
    Path file = Files.writeString(dir.resolve("file"), "data");
    Path directory = Files.createDirectory(dir.resolve("dir"));
    Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("nowhere"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), file);
    for (Path p : List.of(file, directory, dangling, link)) {
      IpcException e = assertThrows(IpcException.class, () -> ipc.makeLocalServer(p), p.toString());
      assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }
    assertEquals("data", Files.readString(file));
    assertTrue(Files.isDirectory(directory));
    assertTrue(Files.isSymbolicLink(dangling));
    assertFalse(Files.exists(dir.resolve("nowhere"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isSymbolicLink(link));
    try (var list = Files.list(dir)) {
      assertEquals(4, list.count(), "a temporary socket name was left behind");
    }
  }

  @OverLocalFixtures
  void connectingToAMissingOrDeadServerThrowsNoLocalServer(Fixture f) throws Exception {
    Path missing = dir.resolve("missing.sock");
    NoLocalServerException e =
        assertThrows(
            NoLocalServerException.class, () -> f.clientIpc().connectToLocalServer(missing));
    assertEquals(missing, e.pathname());
    // a stale socket file: bound, then its listener gone
    Path stale = dir.resolve("stale.sock");
    try (LocalServer server =
        f.serverIpc().makeLocalServer(stale, ServerOptions.defaults().deleteOnClose(false))) {
      assertTrue(Files.exists(stale, LinkOption.NOFOLLOW_LINKS));
    }
    assertThrows(NoLocalServerException.class, () -> f.clientIpc().connectToLocalServer(stale));
  }

  @OverLocalFixtures
  void pathnamesMatchOnServerClientAndAcceptedStream(Fixture f) throws Exception {
    try (Fixture.Connection c = f.connection(dir)) {
      Path p = ((LocalServer) c.server()).localPathname();
      assertEquals(p, ((LocalStream) c.client()).localPathname());
      assertEquals(p, ((LocalStream) c.accepted()).localPathname());
      assertInstanceOf(LocalStream.class, c.accepted());
    }
  }

  @OverLocalFixtures
  void aPathOverTheLimitIsRefusedBeforeAnyIo(Fixture f) throws Exception {
    Path tooLong = dir.resolve("x".repeat(120));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> f.serverIpc().makeLocalServer(tooLong));
    assertTrue(e.getMessage().contains("bytes"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> f.clientIpc().connectToLocalServer(tooLong));
    assertFalse(Files.exists(tooLong, LinkOption.NOFOLLOW_LINKS));
  }
}
