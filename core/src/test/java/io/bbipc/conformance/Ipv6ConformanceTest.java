package io.bbipc.conformance;

import static io.bbipc.BasicBinaryIpc.IPV4_ANY;
import static io.bbipc.BasicBinaryIpc.IPV4_LOOPBACK;
import static io.bbipc.BasicBinaryIpc.IPV6_ANY;
import static io.bbipc.BasicBinaryIpc.IPV6_LOOPBACK;
import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_FAILED;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DETERMINED;
import static io.bbipc.conformance.Fixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv4TcpStream;
import io.bbipc.Ipv6TcpServer;
import io.bbipc.Ipv6TcpStream;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.net.Inet6Address;
import java.net.NetworkInterface;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TCP over IPv6 beyond what the rest of the suite runs on ::1: addresses and their text, the dual
 * stack of {@code ::} (and of {@code 0.0.0.0}), IPv4-mapped addresses and zones, on every pair of
 * transports. Only loopback addresses are connected to. Skipped, with the reason, where the machine
 * has no IPv6 loopback.
 */
public class Ipv6ConformanceTest {
  static List<Fixture> fixtures() {
    return Fixture.conformance().stream().filter(f -> f.kind() == Fixture.Kind.TCP6).toList();
  }

  private static <S extends StreamSocket> S connected(S stream) throws IpcException {
    assertTrue(stream.poll(CONNECTION_SUCCEEDED, WAIT), stream + " did not connect");
    return stream;
  }

  private static <S extends StreamSocket> S accept(StreamServer server, Class<S> type)
      throws IpcException {
    assertTrue(server.poll(CONNECTION_AVAILABLE, WAIT), "no connection to accept on " + server);
    return connected(type.cast(server.acceptConnection()));
  }

  /** One byte each way. */
  private static void exchange(StreamSocket a, StreamSocket b) throws IpcException {
    assertEquals(1, a.writeToStream(new byte[] {6}));
    assertArrayEquals(new byte[] {6}, Streams.readFully(b, 1, Streams.deadline(10)));
    assertEquals(1, b.writeToStream(new byte[] {4}));
    assertArrayEquals(new byte[] {4}, Streams.readFully(a, 1, Streams.deadline(10)));
  }

  private static void assertRefused(StreamSocket client) throws IpcException {
    assertEquals(
        EnumSet.of(DETERMINED, CONNECTION_FAILED),
        client.poll(EnumSet.of(DETERMINED, CONNECTION_FAILED, CONNECTION_SUCCEEDED), WAIT),
        client.toString());
    assertFalse(client.connectionSucceeded());
  }

  @PerFixture
  @MethodSource("fixtures")
  void hostAddressesAndPortsWithAnExplicitLocalPort(Fixture f) throws Exception {
    int clientPort = f.freePort();
    try (Ipv6TcpServer server = f.serverIpc().makeIpv6TcpServer(IPV6_LOOPBACK, 0)) {
      assertNotEquals(0, server.port());
      assertEquals("::1", server.hostAddress());
      assertEquals("Ipv6TcpServer[[::1]:" + server.port() + "]", server.toString());
      assertFalse(server.poll(CONNECTION_AVAILABLE, Timeout.IMMEDIATE));
      try (Ipv6TcpStream client =
              f.clientIpc().connectToIpv6TcpServer("::1", server.port(), "::1", clientPort);
          Ipv6TcpStream remote = accept(server, Ipv6TcpStream.class)) {
        connected(client);
        assertEquals(server.port(), remote.localPort());
        assertEquals("::1", remote.localHostAddress());
        assertEquals(clientPort, remote.remotePort());
        assertEquals("::1", remote.remoteHostAddress());
        assertEquals(clientPort, client.localPort());
        assertEquals("::1", client.localHostAddress());
        assertEquals(server.port(), client.remotePort());
        assertEquals("::1", client.remoteHostAddress());
        exchange(client, remote);
        // addresses outlive the connection
        client.close();
        assertEquals(clientPort, client.localPort());
        assertEquals("::1", client.remoteHostAddress());
      }
    }
  }

  @PerFixture
  @MethodSource("fixtures")
  void everyTextFormOfAnAddressWorksAndIsReportedInCanonicalForm(Fixture f) throws Exception {
    try (Ipv6TcpServer server = f.serverIpc().makeIpv6TcpServer("0:0:0:0:0:0:0:1", 0);
        Ipv6TcpStream client =
            f.clientIpc().connectToIpv6TcpServer("0000:0000::0001", server.port())) {
      assertEquals("::1", server.hostAddress());
      // before it connects, a stream reports what was asked for, in canonical form
      assertEquals("::1", client.remoteHostAddress());
      connected(client);
      try (Ipv6TcpStream remote = accept(server, Ipv6TcpStream.class)) {
        exchange(client, remote);
      }
    }
  }

  /**
   * {@code ::} takes IPv4 clients too. This does not depend on {@code net.ipv6.bindv6only}: the JDK
   * and Netty's native transports clear {@code IPV6_V6ONLY} on every IPv6 socket they make (seen
   * here in a network namespace with bindv6only=1 too).
   */
  @PerFixture
  @MethodSource("fixtures")
  void aServerOnTheIpv6AnyAddressTakesIpv6AndIpv4Clients(Fixture f) throws Exception {
    try (Ipv6TcpServer server = f.serverIpc().makeIpv6TcpServer(IPV6_ANY, 0)) {
      assertEquals("::", server.hostAddress());
      try (Ipv6TcpStream six =
              connected(f.clientIpc().connectToIpv6TcpServer(IPV6_LOOPBACK, server.port()));
          Ipv6TcpStream sixAccepted = accept(server, Ipv6TcpStream.class);
          Ipv4TcpStream four =
              connected(f.clientIpc().connectToIpv4TcpServer(IPV4_LOOPBACK, server.port()));
          Ipv6TcpStream fourAccepted = accept(server, Ipv6TcpStream.class)) {
        assertEquals("::1", sixAccepted.remoteHostAddress());
        assertEquals("::1", sixAccepted.localHostAddress());
        assertEquals(six.localPort(), sixAccepted.remotePort());
        // an IPv4 peer shows IPv4-mapped on the IPv6 side, and as itself on its own
        assertEquals("::ffff:127.0.0.1", fourAccepted.remoteHostAddress());
        assertEquals("::ffff:127.0.0.1", fourAccepted.localHostAddress());
        assertEquals(four.localPort(), fourAccepted.remotePort());
        assertEquals("127.0.0.1", four.localHostAddress());
        assertEquals("127.0.0.1", four.remoteHostAddress());
        exchange(six, sixAccepted);
        exchange(four, fourAccepted);
      }
    }
  }

  /** The JDK and Netty bind 0.0.0.0 as {@code ::} on a dual-stack socket: IPv6 clients get in. */
  @PerFixture
  @MethodSource("fixtures")
  void aServerOnTheIpv4AnyAddressTakesIpv6ClientsToo(Fixture f) throws Exception {
    try (Ipv4TcpServer server = f.serverIpc().makeIpv4TcpServer(IPV4_ANY, 0);
        Ipv6TcpStream six =
            connected(f.clientIpc().connectToIpv6TcpServer(IPV6_LOOPBACK, server.port()));
        Ipv4TcpStream accepted = accept(server, Ipv4TcpStream.class)) {
      assertEquals("::1", accepted.remoteHostAddress());
      assertEquals("::1", accepted.localHostAddress());
      exchange(six, accepted);
    }
  }

  @PerFixture
  @MethodSource("fixtures")
  void anIpv4MappedAddressReachesAnIpv4Server(Fixture f) throws Exception {
    try (Ipv4TcpServer server = f.serverIpc().makeIpv4TcpServer(IPV4_LOOPBACK, 0);
        Ipv6TcpStream client =
            connected(f.clientIpc().connectToIpv6TcpServer("::ffff:127.0.0.1", server.port()));
        Ipv4TcpStream accepted = accept(server, Ipv4TcpStream.class)) {
      assertEquals("::ffff:127.0.0.1", client.remoteHostAddress());
      assertEquals("::ffff:127.0.0.1", client.localHostAddress());
      assertEquals("127.0.0.1", accepted.remoteHostAddress());
      assertEquals(client.localPort(), accepted.remotePort());
      exchange(client, accepted);
    }
  }

  @PerFixture
  @MethodSource("fixtures")
  void aServerOnAnIpv4MappedAddressTakesIpv4ClientsOnly(Fixture f) throws Exception {
    try (Ipv6TcpServer server = f.serverIpc().makeIpv6TcpServer("0:0:0:0:0:FFFF:7F00:0001", 0)) {
      assertEquals("::ffff:127.0.0.1", server.hostAddress());
      try (Ipv4TcpStream four =
              connected(f.clientIpc().connectToIpv4TcpServer(IPV4_LOOPBACK, server.port()));
          Ipv6TcpStream accepted = accept(server, Ipv6TcpStream.class)) {
        assertEquals("::ffff:127.0.0.1", accepted.remoteHostAddress());
        exchange(four, accepted);
      }
      try (Ipv6TcpStream six = f.clientIpc().connectToIpv6TcpServer(IPV6_LOOPBACK, server.port())) {
        assertRefused(six);
      }
    }
  }

  @PerFixture
  @MethodSource("fixtures")
  void connectsWithNoListenerOrABusyLocalPortFail(Fixture f) throws Exception {
    try (Ipv6TcpStream nobody = f.clientIpc().connectToIpv6TcpServer(IPV6_LOOPBACK, f.freePort())) {
      assertRefused(nobody);
      assertFalse(nobody.remoteDisconnected());
    }
    try (Ipv6TcpServer server = f.serverIpc().makeIpv6TcpServer(IPV6_LOOPBACK, 0);
        Ipv6TcpServer occupier = f.serverIpc().makeIpv6TcpServer(IPV6_LOOPBACK, 0);
        Ipv6TcpStream client =
            f.clientIpc()
                .connectToIpv6TcpServer(
                    IPV6_LOOPBACK, server.port(), IPV6_LOOPBACK, occupier.port())) {
      assertTrue(client.poll(CONNECTION_FAILED, WAIT));
      assertTrue(client.determined());
    }
  }

  /** The loopback interface that holds ::1, if this machine has one. */
  private static NetworkInterface loopbackInterface() throws Exception {
    for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nif.isLoopback()
          && Collections.list(nif.getInetAddresses()).stream()
              .anyMatch(a -> a instanceof Inet6Address && a.isLoopbackAddress())) {
        return nif;
      }
    }
    return null;
  }

  /** A zone on ::1 (by name for the server, by index for the client) binds and connects. */
  @PerFixture
  @MethodSource("fixtures")
  void aZonedLoopbackAddressWorks(Fixture f) throws Exception {
    NetworkInterface lo = loopbackInterface();
    Assumptions.assumeTrue(lo != null, "no loopback interface holds ::1 here");
    try (Ipv6TcpServer server = f.serverIpc().makeIpv6TcpServer("::1%" + lo.getName(), 0);
        Ipv6TcpStream client =
            connected(f.clientIpc().connectToIpv6TcpServer("::1%" + lo.getIndex(), server.port()));
        Ipv6TcpStream accepted = accept(server, Ipv6TcpStream.class)) {
      assertEquals("::1%" + lo.getName(), server.hostAddress());
      // the kernel ignores the zone of a loopback address; whether a stream shows it is the
      // transport's
      assertTrue(accepted.remoteHostAddress().startsWith("::1"), accepted.remoteHostAddress());
      exchange(client, accepted);
    }
  }

  /**
   * Where the machine has no IPv6 loopback (run here in a network namespace with IPv6 off), a
   * server on ::1 is an {@code IpcException} that says where, and a connect to it fails.
   */
  @PerFixture
  @MethodSource("fixtures")
  void withoutAnIpv6LoopbackAServerOnItFailsSayingWhereAndAConnectFails(Fixture f)
      throws Exception {
    Assumptions.assumeTrue(
        Ipv6Loopback.unavailabilityCause().isPresent(), "this machine has an IPv6 loopback");
    new Fixture(Fixture.Kind.TCP, f.serverTransport(), f.clientTransport()).assumeAvailable();
    IpcException e =
        assertThrows(
            IpcException.class,
            () -> Fixture.runtime(f.serverTransport()).makeIpv6TcpServer(IPV6_LOOPBACK, 0));
    assertTrue(e.getMessage().startsWith("cannot listen on [::1]:0: "), e.getMessage());
    assertFalse(e.getMessage().endsWith(": null"), e.getMessage());
    try (Ipv6TcpStream client =
        Fixture.runtime(f.clientTransport()).connectToIpv6TcpServer(IPV6_LOOPBACK, 1)) {
      assertRefused(client);
    }
  }
}
