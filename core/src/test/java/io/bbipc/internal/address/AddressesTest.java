package io.bbipc.internal.address;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The strict IPv6 literal parser and the RFC 5952 text of addresses: no I/O (a zone is looked up
 * among the network interfaces), every bad literal refused with a message naming it and saying why.
 */
class AddressesTest {
  /**
   * Parses {@code literal} and gives its text: what an IPv6 server's {@code hostAddress()} reports.
   */
  private static String canonical(String literal) {
    return Addresses.ipv6Text(Addresses.parseIpv6(literal, "hostAddress"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "::1, ::1",
    "::, ::",
    "0:0:0:0:0:0:0:1, ::1",
    "0000:0000:0000:0000:0000:0000:0000:0001, ::1",
    "0:0:0:0:0:0:0:0, ::",
    "1::, 1::",
    "2001:db8::1, 2001:db8::1",
    "2001:0DB8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
    "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
    "2001:db8::0:1, 2001:db8::1",
    "1:0:0:2:0:0:0:3, 1:0:0:2::3",
    "1:0:0:2:0:0:3:4, 1::2:0:0:3:4",
    "1:2:3:4:5:6:7::, 1:2:3:4:5:6:7:0",
    "::2:3:4:5:6:7:8, 0:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:7:8",
    "fe80::abcd:ef01:2345:6789, fe80::abcd:ef01:2345:6789",
    "FFFF:ffff:FfFf:ffff:ffff:ffff:ffff:ffff, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "::ffff:127.0.0.1, ::ffff:127.0.0.1",
    "::FFFF:7f00:1, ::ffff:127.0.0.1",
    "0:0:0:0:0:ffff:192.0.2.1, ::ffff:192.0.2.1",
    "::ffff:0.0.0.0, ::ffff:0.0.0.0",
    "::1.2.3.4, ::102:304",
    "64:ff9b::192.0.2.33, 64:ff9b::c000:221",
    "1:2:3:4:5:6:1.2.3.4, 1:2:3:4:5:6:102:304",
    "1::2:3:4:5:6:7, 1:0:2:3:4:5:6:7",
  })
  void validLiteralsParseToTheirCanonicalText(String literal, String expected) {
    assertEquals(expected, canonical(literal));
  }

  @ParameterizedTest(name = "\"{0}\": {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "|it is empty",
        "127.0.0.1|it is an IPv4 address; use makeIpv4TcpServer",
        "0.0.0.0|write it IPv4-mapped as ::ffff:0.0.0.0",
        "[::1]|brackets are not part of an address",
        "::1]|brackets",
        "localhost|it contains 'l' (host names are not resolved)",
        "ip6-localhost|it contains 'i'",
        "::1:80x|it contains 'x'",
        "` ::1`|it contains ' '",
        "`::1 `|it contains ' '",
        "::g|it contains 'g'",
        "1:2:3:4:5:6:7|it has 7 groups of 16 bits, not eight, and no '::'",
        "1:2:3:4:5:6:7:8:9|it has 9 groups of 16 bits, not eight",
        "1:2:3:4:5:6:7:8::|'::' must stand for at least one group, but the others are 8 already",
        "::1:2:3:4:5:6:7:8|'::' must stand for at least one group",
        "1:2:3:4:5:6:7::1.2.3.4|'::' must stand for at least one group, but the others are 9",
        "1::2::3|it has more than one '::'",
        "::1::|it has more than one '::'",
        ":::1|it contains ':::'",
        "1:::2|it contains ':::'",
        ":1:2:3:4:5:6:7|it starts with a single ':'",
        "1:2:3:4:5:6:7:|it ends with a single ':'",
        ":1::|it starts with a single ':'",
        "1::2:|it ends with a single ':'",
        "1:2::3:|it ends with a single ':'",
        ":|it starts with a single ':'",
        "12345::|the group \"12345\" has more than four hex digits",
        "::00001|more than four hex digits",
        "1.2.3.4::|a dotted quad (\"1.2.3.4\") may only be the last 32 bits",
        "::1.2.3.4:1|a dotted quad (\"1.2.3.4\") may only be the last 32 bits",
        "::ffff:127.0.0.01|a number has a leading zero",
        "::ffff:127.0.0.256|a number is above 255",
        "::ffff:127.0.1|it has 3 numbers, not four",
        "::ffff:1.2.3.4.5|it has more than four numbers",
        "::ffff:1..3.4|a number is missing",
        "1:2:3:4:5:6:1.2.3.4:8|may only be the last 32 bits",
        "::1%|the zone after '%' is empty",
        "%lo|it is empty",
        "::1%lo%1|the zone \"lo%1\" contains '%'",
        "::1%lo 0|the zone \"lo 0\" contains ' '",
        "::1%no-such-interface0|the zone \"no-such-interface0\" names no network interface here",
        "fe80::1%0|the zone \"0\" names no network interface here",
        "fe80::1%01|the zone \"01\" is not an interface index",
        "fe80::1%2147483648|the zone \"2147483648\" is not an interface index",
        "fe80::1%99999|the zone \"99999\" names no network interface here",
      })
  void invalidLiteralsAreRefusedNamingTheValueAndWhy(String literal, String why) {
    String host = literal == null ? "" : literal;
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Addresses.parseIpv6(host, "hostAddress"));
    String message = e.getMessage();
    assertTrue(
        message.startsWith(
            "hostAddress must be an IPv6 address such as ::1, was \"" + host + "\": "),
        message);
    assertTrue(message.contains(why), "message \"" + message + "\" does not say " + why);
  }

  @Test
  void aNullLiteralIsANullPointerNamingTheArgument() {
    NullPointerException e =
        assertThrows(
            NullPointerException.class, () -> Addresses.parseIpv6(null, "localHostAddress"));
    assertEquals("localHostAddress", e.getMessage());
  }

  @Test
  void anIpv4MappedLiteralStaysAnIpv6Address() {
    // InetAddress.getByAddress would make an Inet4Address of these bytes
    Inet6Address mapped = Addresses.parseIpv6("::ffff:127.0.0.1", "hostAddress");
    assertArrayEquals(
        new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 127, 0, 0, 1}, mapped.getAddress());
    assertEquals(0, mapped.getScopeId());
    assertEquals("::ffff:127.0.0.1", Addresses.ipv6Text(mapped));
  }

  @Test
  void theIpv4StreamTextOfAnIpv6PeerIsItsRfc5952Form() throws Exception {
    // an IPv4 server on 0.0.0.0 is dual-stack, so its streams may have IPv6 peers
    assertEquals(
        "::1", Addresses.hostAddress(new InetSocketAddress(InetAddress.getByName("::1"), 1)));
    assertEquals(
        "127.0.0.1",
        Addresses.hostAddress(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 1)));
    // what Java and Netty make of an IPv4-mapped peer: an Inet4Address, shown IPv4-mapped on IPv6
    // streams
    InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("::ffff:10.1.2.3"), 1);
    assertTrue(v4.getAddress() instanceof Inet4Address);
    assertEquals("::ffff:10.1.2.3", Addresses.ipv6HostAddress(v4));
    assertEquals(
        "2001:db8::1",
        Addresses.ipv6HostAddress(
            new InetSocketAddress(InetAddress.getByName("2001:0db8:0:0:0:0:0:1"), 1)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.2.3.4", "255.255.255.255", "0.0.0.0"})
  void dottedQuadsAreNotIpv6Literals(String quad) {
    assertTrue(Addresses.isIpv4(quad));
    assertThrows(IllegalArgumentException.class, () -> Addresses.parseIpv6(quad, "hostAddress"));
  }

  @Test
  void theIpv4ParserPointsAnIpv6LiteralToTheIpv6Factories() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Addresses.parseIpv4("::1", "hostAddress"));
    assertTrue(
        e.getMessage().contains("\"::1\"") && e.getMessage().contains("makeIpv6TcpServer"),
        e.getMessage());
  }

  // ---------------------------------------------------------------- zones

  /** The loopback interface that holds ::1, if this machine has one. */
  private static Optional<NetworkInterface> loopback() throws SocketException {
    for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nif.isLoopback()
          && Collections.list(nif.getInetAddresses()).stream()
              .anyMatch(a -> a instanceof Inet6Address && a.isLoopbackAddress())) {
        return Optional.of(nif);
      }
    }
    return Optional.empty();
  }

  @Test
  void aZoneIsAnInterfaceNameOrIndexAndShowsAsTheName() throws Exception {
    NetworkInterface lo = loopback().orElse(null);
    Assumptions.assumeTrue(lo != null, "no loopback interface with ::1 here");
    String[][] canonical = {
      {"::1", "::1"}, {"fe80::1", "fe80::1"}, {"FE80:0:0:0:0:0:0:1", "fe80::1"}
    };
    for (String[] pair : canonical) {
      for (String zone : new String[] {lo.getName(), String.valueOf(lo.getIndex())}) {
        Inet6Address scoped = Addresses.parseIpv6(pair[0] + "%" + zone, "hostAddress");
        assertEquals(lo.getIndex(), scoped.getScopeId(), pair[0] + "%" + zone);
        assertEquals(pair[1] + "%" + lo.getName(), Addresses.ipv6Text(scoped));
      }
    }
    // no zone: no scope
    assertEquals(0, Addresses.parseIpv6("fe80::1", "hostAddress").getScopeId());
    assertFalse(Addresses.ipv6Text(Addresses.parseIpv6("fe80::1", "hostAddress")).contains("%"));
  }
}
