package io.bbipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad input is refused before any I/O, with a message that names the bad value. */
class ArgumentsTest {
  @AutoClose private static final Ipc ipc = Ipc.create();

  @TempDir Path dir;

  private static void assertMessageNames(Throwable e, String value) {
    assertTrue(
        e.getMessage().contains(value),
        "message \"" + e.getMessage() + "\" does not name " + value);
  }

  /** Each call throws IllegalArgumentException with a message that names {@code value}. */
  private static void assertRefusedNaming(String value, Executable... calls) {
    for (Executable call : calls) {
      assertMessageNames(assertThrows(IllegalArgumentException.class, call), value);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "1.2.3",
        "1.2.3.4.5",
        "256.0.0.1",
        "1.2.3.-4",
        "a.b.c.d",
        "127.0.0.01",
        "localhost",
        " 127.0.0.1",
        "127.0.0.1 ",
        "1..2.3",
        "::1",
        "127.0.0.1."
      })
  void malformedDottedQuadsAreRefused(String host) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ipc.makeIpv4TcpServer(host, 0));
    assertMessageNames(e, "\"" + host + "\"");
    assertThrows(IllegalArgumentException.class, () -> ipc.connectToIpv4TcpServer(host, 1));
    assertThrows(
        IllegalArgumentException.class, () -> ipc.connectToIpv4TcpServer("127.0.0.1", 1, host, 0));
  }

  @Test
  void anIpv6AddressGivenToTheIpv4FactoriesPointsToTheIpv6Ones() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ipc.makeIpv4TcpServer("::1", 0));
    assertMessageNames(e, "\"::1\"");
    assertMessageNames(e, "makeIpv6TcpServer");
  }

  /** The parser itself is AddressesTest's; here, that the factories use it before any I/O. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "127.0.0.1",
        "[::1]",
        "localhost",
        "::1::",
        "1:2:3:4:5:6:7:8:9",
        "::ffff:127.0.0.01",
        "::1%",
        "::1%no-such-interface0",
        " ::1"
      })
  void malformedIpv6AddressesAreRefused(String host) throws Exception {
    assertRefusedNaming(
        "\"" + host + "\"",
        () -> ipc.makeIpv6TcpServer(host, 0),
        () -> ipc.makeIpv6TcpServer(host, 0, ServerOptions.defaults()),
        () -> ipc.connectToIpv6TcpServer(host, 1),
        () -> ipc.connectToIpv6TcpServer("::1", 1, host, 0),
        () -> BasicBinaryIpc.makeIpv6TcpServer(host, 0),
        () -> BasicBinaryIpc.connectToIpv6TcpServer(host, 1));
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 65536, Integer.MIN_VALUE, Integer.MAX_VALUE})
  void ipv6PortsOutsideTheRangeAreRefused(int port) {
    assertRefusedNaming(
        String.valueOf(port),
        () -> ipc.makeIpv6TcpServer("::1", port),
        () -> ipc.connectToIpv6TcpServer("::1", port),
        () -> ipc.connectToIpv6TcpServer("::1", 80, null, port));
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 65536, Integer.MIN_VALUE, Integer.MAX_VALUE})
  void portsOutsideTheRangeAreRefused(int port) {
    assertRefusedNaming(
        String.valueOf(port),
        () -> ipc.makeIpv4TcpServer("127.0.0.1", port),
        () -> ipc.connectToIpv4TcpServer("127.0.0.1", port),
        () -> ipc.connectToIpv4TcpServer("127.0.0.1", 80, null, port));
  }

  @Test
  void timeouts() {
    assertThrows(IllegalArgumentException.class, () -> Timeout.seconds(-0.5));
    assertMessageNames(
        assertThrows(IllegalArgumentException.class, () -> Timeout.seconds(Double.NaN)), "NaN");
    assertThrows(IllegalArgumentException.class, () -> Timeout.seconds(Double.POSITIVE_INFINITY));
    assertMessageNames(
        assertThrows(IllegalArgumentException.class, () -> Timeout.of(Duration.ofMillis(-3))),
        "-0.003");
    assertEquals(1_500_000_000L, Timeout.seconds(1.5).toNanos());
    assertEquals(Timeout.IMMEDIATE, Timeout.seconds(0));
    assertEquals(Timeout.seconds(2), Timeout.of(Duration.ofSeconds(2)));
    assertTrue(Timeout.INDEFINITE.isIndefinite());
    assertEquals(Long.MAX_VALUE, Timeout.INDEFINITE.toNanos());
    assertTrue(Timeout.of(Duration.ofSeconds(Long.MAX_VALUE)).isIndefinite());
  }

  @Test
  void serverOptionsAreImmutable() {
    ServerOptions d = ServerOptions.defaults();
    ServerOptions changed = d.reuseAddress(true).backlog(7).deleteOnClose(false);
    assertFalse(d.reuseAddress());
    assertEquals(128, d.backlog());
    assertTrue(d.deleteOnClose());
    assertTrue(changed.reuseAddress());
    assertEquals(7, changed.backlog());
    assertFalse(changed.deleteOnClose());
    assertMessageNames(assertThrows(IllegalArgumentException.class, () -> d.backlog(0)), "0");
  }

  @Test
  void eventSetsMustBeNonEmptyAndSupported() throws Exception {
    try (Ipv4TcpServer server = ipc.makeIpv4TcpServer("127.0.0.1", 0);
        Ipv4TcpStream client = ipc.connectToIpv4TcpServer("127.0.0.1", server.port());
        Poller poller = ipc.makePoller()) {
      assertMessageNames(
          assertThrows(
              IllegalArgumentException.class,
              () -> server.poll(SocketEvent.DATA_AVAILABLE, Timeout.IMMEDIATE)),
          "DATA_AVAILABLE");
      assertMessageNames(
          assertThrows(
              IllegalArgumentException.class,
              () -> client.poll(EnumSet.of(SocketEvent.CONNECTION_AVAILABLE), Timeout.IMMEDIATE)),
          "CONNECTION_AVAILABLE");
      assertMessageNames(
          assertThrows(
              IllegalArgumentException.class, () -> client.poll(Set.of(), Timeout.IMMEDIATE)),
          "empty");
      assertThrows(IllegalArgumentException.class, () -> client.whenReady(Set.of()));
      assertThrows(
          IllegalArgumentException.class,
          () -> client.whenReady(EnumSet.of(SocketEvent.CONNECTION_AVAILABLE)));
      assertThrows(IllegalArgumentException.class, () -> poller.monitorSocket(client, Set.of()));
      assertThrows(
          IllegalArgumentException.class,
          () -> poller.monitorSocket(server, EnumSet.of(SocketEvent.READY_TO_WRITE)));
      assertFalse(poller.isMonitored(server));
      assertMessageNames(
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  BasicBinaryIpc.pollSockets(
                      List.of(server, client),
                      List.of(EnumSet.of(SocketEvent.CONNECTION_AVAILABLE)),
                      Timeout.IMMEDIATE)),
          "2 sockets, 1 event sets");
      assertThrows(
          IllegalArgumentException.class,
          () -> BasicBinaryIpc.pollSockets(List.of(server), List.of(Set.of()), Timeout.IMMEDIATE));
      assertThrows(
          IpcException.class,
          () -> poller.setMonitoredEvents(client, EnumSet.of(SocketEvent.DATA_AVAILABLE)));
      assertEquals(EnumSet.of(SocketEvent.CONNECTION_AVAILABLE), server.supportedEvents());
      assertEquals(
          EnumSet.complementOf(EnumSet.of(SocketEvent.CONNECTION_AVAILABLE)),
          client.supportedEvents());
    }
  }

  @Test
  void aStreamThatIsNotYetConnectedAcceptsNoBytes() throws Exception {
    // a listener that never accepts, with a backlog of 1: once its queue is full, the kernel
    // drops further SYNs and those connects stay pending
    try (java.net.ServerSocket listener =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      java.util.List<Ipv4TcpStream> streams = new java.util.ArrayList<>();
      try {
        Ipv4TcpStream pending = null;
        for (int i = 0; i < 20 && pending == null; i++) {
          Ipv4TcpStream s = ipc.connectToIpv4TcpServer("127.0.0.1", listener.getLocalPort());
          streams.add(s);
          if (!s.poll(SocketEvent.DETERMINED, Timeout.seconds(0.2))) {
            pending = s;
          }
        }
        assertTrue(pending != null, "no connect stayed pending against a full backlog");
        assertEquals(0, pending.writeToStream(new byte[] {1, 2, 3}));
        assertFalse(pending.readyToWrite());
        assertFalse(pending.determined());
      } finally {
        streams.forEach(Ipv4TcpStream::close);
      }
    }
  }

  @Test
  void aLocalServerWithAFullBacklogIsNotReportedMissing() throws Exception {
    Path path = dir.resolve("full.sock");
    try (java.nio.channels.ServerSocketChannel raw =
        java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      raw.bind(java.net.UnixDomainSocketAddress.of(path), 1);
      java.util.List<LocalStream> streams = new java.util.ArrayList<>();
      try {
        IpcException refused = null;
        LocalStream pending = null;
        for (int i = 0; i < 20 && refused == null && pending == null; i++) {
          try {
            LocalStream s = ipc.connectToLocalServer(path);
            streams.add(s);
            if (!s.poll(SocketEvent.DETERMINED, Timeout.seconds(0.2))) {
              pending = s;
            }
          } catch (NoLocalServerException wrong) {
            throw new AssertionError("a busy server was reported missing", wrong);
          } catch (IpcException e) {
            refused = e;
          }
        }
        // Linux answers a full local backlog with EAGAIN (every transport here); a transport
        // that waits for the kernel's answer in the background would leave the connect pending
        assertTrue(
            refused != null || pending != null,
            "a full backlog neither refused nor delayed a connect");
        if (refused != null) {
          assertMessageNames(refused, "backlog");
        }
      } finally {
        streams.forEach(LocalStream::close);
        Files.deleteIfExists(path);
      }
    }
  }

  @Test
  void unknownAndUnavailableTransportsAreNamedWithEveryProvider() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Ipc.builder().transport("carrier-pigeon"));
    assertMessageNames(e, "carrier-pigeon");
    assertMessageNames(e, "nio (priority 0, available)");
    String old = System.getProperty("bbipc.transport");
    System.setProperty("bbipc.transport", "carrier-pigeon");
    try {
      assertMessageNames(
          assertThrows(IllegalArgumentException.class, Ipc::create), "carrier-pigeon");
      System.setProperty("bbipc.transport", "nio");
      try (Ipc nio = Ipc.create()) {
        assertEquals("nio", nio.transportName());
      }
    } finally {
      if (old == null) {
        System.clearProperty("bbipc.transport");
      } else {
        System.setProperty("bbipc.transport", old);
      }
    }
  }

  @Test
  void theTransportReportListsNioAndThePick() {
    String report = Ipc.transportReport();
    assertTrue(report.contains("nio") && report.contains("available"), report);
    try (Ipc picked = Ipc.create()) {
      assertTrue(report.contains("Ipc.create() picks: " + picked.transportName()), report);
    }
  }

  @Test
  void aSpinningRuntimeStillWaitsAndWakes() throws Exception {
    assertMessageNames(
        assertThrows(
            IllegalArgumentException.class,
            () -> Ipc.builder().spinBeforePark(Duration.ofMillis(-1))),
        "-0.001");
    assertThrows(
        IllegalArgumentException.class, () -> Ipc.builder().spinBeforePark(Duration.ofSeconds(2)));
    try (Ipc spinning = Ipc.builder().spinBeforePark(Duration.ofMillis(20)).build();
        Ipv4TcpServer server = spinning.makeIpv4TcpServer("127.0.0.1", 0);
        Ipv4TcpStream client = spinning.connectToIpv4TcpServer("127.0.0.1", server.port())) {
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, Timeout.seconds(10)));
      try (Ipv4TcpStream peer = server.acceptConnection()) {
        // a wait longer than the spin parks and still returns empty at its deadline
        long start = System.nanoTime();
        assertFalse(peer.poll(SocketEvent.DATA_AVAILABLE, Timeout.seconds(0.1)));
        assertTrue(System.nanoTime() - start >= 100_000_000L, "returned before its deadline");
        for (int i = 0; i < 100; i++) {
          assertTrue(client.poll(SocketEvent.READY_TO_WRITE, Timeout.seconds(10)));
          assertEquals(1, client.writeToStream(new byte[] {(byte) i}));
          assertTrue(peer.poll(SocketEvent.DATA_AVAILABLE, Timeout.seconds(10)));
          byte[] one = new byte[1];
          assertEquals(1, peer.readFromStream(one));
          assertEquals((byte) i, one[0]);
        }
      }
    }
  }

  @Test
  void builderLimitsAndThreads() {
    assertMessageNames(
        assertThrows(IllegalArgumentException.class, () -> Ipc.builder().ioThreads(0)), "0");
    assertMessageNames(
        assertThrows(IllegalArgumentException.class, () -> Ipc.builder().inboundBufferLimit(-5)),
        "-5");
    assertMessageNames(
        assertThrows(IllegalArgumentException.class, () -> Ipc.builder().outboundBufferLimit(0)),
        "0");
  }

  @Test
  void aBorrowedGroupStaysUpAndAContradictingTransportIsRefused() throws Exception {
    io.netty.channel.EventLoopGroup group =
        new io.netty.channel.MultiThreadIoEventLoopGroup(
            1, io.netty.channel.nio.NioIoHandler.newFactory());
    try {
      assertMessageNames(
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  Ipc.builder().eventLoopGroup(group).transport("epoll-that-is-not-here").build()),
          "epoll-that-is-not-here");
      Ipc borrowed = Ipc.builder().eventLoopGroup(group).build();
      assertEquals("nio", borrowed.transportName());
      Ipv4TcpServer server = borrowed.makeIpv4TcpServer("127.0.0.1", 0);
      borrowed.close();
      assertTrue(server.isClosed());
      assertFalse(group.isShuttingDown());
      assertThrows(IpcException.class, () -> borrowed.makeIpv4TcpServer("127.0.0.1", 0));
    } finally {
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
    io.netty.channel.EventLoopGroup foreign =
        new io.netty.channel.MultiThreadIoEventLoopGroup(
            1, io.netty.channel.local.LocalIoHandler.newFactory());
    try {
      assertThrows(IllegalArgumentException.class, () -> Ipc.builder().eventLoopGroup(foreign));
    } finally {
      foreign.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void closingARuntimeClosesItsSocketsAndPollersAndStopsItsThreads() throws Exception {
    Ipc own = Ipc.create();
    Ipv4TcpServer server = own.makeIpv4TcpServer("127.0.0.1", 0);
    LocalServer local = own.makeLocalServer(dir.resolve("r.sock"));
    Ipv4TcpStream client = own.connectToIpv4TcpServer("127.0.0.1", server.port());
    Poller poller = own.makePoller();
    own.close();
    own.close();
    assertTrue(server.isClosed());
    assertTrue(local.isClosed());
    assertTrue(client.isClosed());
    assertTrue(poller.isClosed());
    assertFalse(Files.exists(dir.resolve("r.sock")));
    assertTrue(own.eventLoopGroup().isTerminated());
    assertThrows(IpcException.class, own::makePoller);
    // the shared runtime ignores close
    Ipc.shared().close();
    try (Ipv4TcpServer s = BasicBinaryIpc.makeIpv4TcpServer(BasicBinaryIpc.IPV4_LOOPBACK, 0)) {
      assertTrue(s.port() > 0);
    }
  }

  @Test
  void resolveIpv4Address() throws Exception {
    assertEquals("127.0.0.1", BasicBinaryIpc.resolveIpv4Address("localhost").orElseThrow());
    assertEquals("10.1.2.3", BasicBinaryIpc.resolveIpv4Address("10.1.2.3").orElseThrow());
    assertThrows(NullPointerException.class, () -> BasicBinaryIpc.resolveIpv4Address(null));
  }

  @Test
  void localPathsOverTheLimitNameTheirLength() {
    Path p = dir.resolve("y".repeat(200));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ipc.makeLocalServer(p));
    assertMessageNames(e, String.valueOf(p.toString().length()));
  }
}
