package io.bbipc.internal.address;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;

/**
 * Strict parsing of IPv4 dotted quads, IPv6 literals and ports, done before any I/O (an IPv6 zone
 * is looked up among the network interfaces, nothing more), and the text form of the addresses
 * streams report.
 */
public final class Addresses {
  public static final String IPV4_ANY = "0.0.0.0";
  public static final String IPV6_ANY = "::";

  private Addresses() {}

  /**
   * Parses four decimal numbers 0..255 separated by dots; leading zeros are refused because other
   * parsers read them as octal.
   */
  public static InetAddress parseIpv4(String host, String what) {
    if (host == null) {
      throw new NullPointerException(what);
    }
    return byAddress(ipv4Octets(host, what));
  }

  private static byte[] ipv4Octets(String host, String what) {
    byte[] octets = new byte[4];
    int part = 0;
    int value = -1;
    int digits = 0;
    for (int i = 0; i <= host.length(); i++) {
      char c = i < host.length() ? host.charAt(i) : '.';
      if (c >= '0' && c <= '9') {
        if (digits > 0 && value == 0) {
          throw badQuad(host, what, "a number has a leading zero");
        }
        value = (digits == 0 ? 0 : value) * 10 + (c - '0');
        digits++;
        if (value > 255) {
          throw badQuad(host, what, "a number is above 255");
        }
      } else if (c == '.') {
        if (digits == 0) {
          throw badQuad(host, what, "a number is missing");
        }
        if (part == 4) {
          throw badQuad(host, what, "it has more than four numbers");
        }
        octets[part++] = (byte) value;
        digits = 0;
        value = -1;
      } else if (c == ':') {
        throw badQuad(
            host,
            what,
            "it contains ':'; an IPv6 address goes to makeIpv6TcpServer or"
                + " connectToIpv6TcpServer");
      } else {
        throw badQuad(host, what, "it contains '" + c + "'");
      }
    }
    if (part != 4) {
      throw badQuad(host, what, "it has " + part + " numbers, not four");
    }
    return octets;
  }

  private static InetAddress byAddress(byte[] octets) {
    try {
      return InetAddress.getByAddress(octets);
    } catch (UnknownHostException impossible) {
      throw new AssertionError(impossible);
    }
  }

  private static IllegalArgumentException badQuad(String host, String what, String why) {
    return new IllegalArgumentException(
        what + " must be a dotted quad such as 127.0.0.1, was \"" + host + "\": " + why);
  }

  public static boolean isIpv4(String host) {
    try {
      parseIpv4(host, "host");
      return true;
    } catch (IllegalArgumentException notOne) {
      return false;
    }
  }

  /**
   * Parses an IPv6 literal in the text forms of RFC 4291 section 2.2: eight groups of one to four
   * hex digits separated by colons, at most one {@code ::} standing for one or more groups of
   * zeros, the last 32 bits optionally a strict dotted quad ({@code ::ffff:127.0.0.1}), and an
   * optional zone after {@code %} (RFC 4007): an interface name or a positive index of an interface
   * that exists here. No brackets, no port, no host names.
   *
   * @return always an {@link Inet6Address}, IPv4-mapped ones included (which {@code
   *     InetAddress.getByAddress} would turn into an {@link Inet4Address})
   */
  public static Inet6Address parseIpv6(String host, String what) {
    if (host == null) {
      throw new NullPointerException(what);
    }
    int percent = host.indexOf('%');
    String address = percent < 0 ? host : host.substring(0, percent);
    if (address.isEmpty()) {
      throw badIpv6(host, what, "it is empty");
    }
    if (address.startsWith("[") || address.endsWith("]")) {
      throw badIpv6(host, what, "brackets are not part of an address (write ::1, not [::1])");
    }
    if (isIpv4(address)) {
      throw badIpv6(
          host,
          what,
          "it is an IPv4 address; use makeIpv4TcpServer or"
              + " connectToIpv4TcpServer, or write it IPv4-mapped as ::ffff:"
              + address);
    }
    byte[] bytes = ipv6Bytes(host, address, what);
    if (percent < 0) {
      return inet6(bytes, -1);
    }
    return inet6(bytes, zoneIndex(host, host.substring(percent + 1), what));
  }

  private static byte[] ipv6Bytes(String host, String address, String what) {
    for (int i = 0; i < address.length(); i++) {
      char c = address.charAt(i);
      if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0 && c < 128)) {
        throw badIpv6(
            host,
            what,
            "it contains '"
                + c
                + "'"
                + (Character.isLetter(c) ? " (host names are not resolved)" : ""));
      }
    }
    int gap = address.indexOf("::");
    if (gap >= 0 && address.indexOf("::", gap + 1) >= 0) {
      throw badIpv6(
          host, what, address.contains(":::") ? "it contains ':::'" : "it has more than one '::'");
    }
    String[] head = groups(host, gap < 0 ? address : address.substring(0, gap), what);
    String[] tail = gap < 0 ? new String[0] : groups(host, address.substring(gap + 2), what);
    String last =
        tail.length > 0
            ? tail[tail.length - 1]
            : gap < 0 && head.length > 0 ? head[head.length - 1] : null;
    boolean quad = last != null && last.indexOf('.') >= 0;
    int units = head.length + tail.length + (quad ? 1 : 0);
    if (gap < 0 && units != 8) {
      throw badIpv6(
          host,
          what,
          "it has "
              + units
              + " groups of 16 bits, not eight"
              + (units < 8 ? ", and no '::' to stand for the others" : ""));
    }
    if (gap >= 0 && units > 7) {
      throw badIpv6(
          host,
          what,
          "'::' must stand for at least one group, but the others are " + units + " already");
    }
    byte[] bytes = new byte[16];
    int at = 0;
    for (int i = 0; i < head.length; i++) {
      at = put(bytes, at, head[i], quad && gap < 0 && i == head.length - 1, host, what);
    }
    at = gap < 0 ? at : 16 - 2 * (tail.length + (quad ? 1 : 0));
    for (int i = 0; i < tail.length; i++) {
      at = put(bytes, at, tail[i], quad && i == tail.length - 1, host, what);
    }
    return bytes;
  }

  /** The colon-separated groups of one side of an address; an empty side has none. */
  private static String[] groups(String host, String side, String what) {
    if (side.isEmpty()) {
      return new String[0];
    }
    String[] groups = side.split(":", -1);
    for (String g : groups) {
      if (g.isEmpty()) {
        throw badIpv6(
            host,
            what,
            side.startsWith(":")
                ? "it starts with a single ':'"
                : side.endsWith(":") ? "it ends with a single ':'" : "a group is empty");
      }
    }
    return groups;
  }

  private static int put(
      byte[] bytes, int at, String group, boolean mayBeQuad, String host, String what) {
    if (group.indexOf('.') >= 0) {
      if (!mayBeQuad) {
        throw badIpv6(host, what, "a dotted quad (\"" + group + "\") may only be the last 32 bits");
      }
      byte[] quad;
      try {
        quad = ipv4Octets(group, "its last 32 bits");
      } catch (IllegalArgumentException bad) {
        throw badIpv6(host, what, bad.getMessage());
      }
      System.arraycopy(quad, 0, bytes, at, 4);
      return at + 4;
    }
    if (group.length() > 4) {
      throw badIpv6(host, what, "the group \"" + group + "\" has more than four hex digits");
    }
    int value = Integer.parseInt(group, 16);
    bytes[at] = (byte) (value >> 8);
    bytes[at + 1] = (byte) value;
    return at + 2;
  }

  /** The index of the interface a zone names, which must exist here. */
  private static int zoneIndex(String host, String zone, String what) {
    if (zone.isEmpty()) {
      throw badIpv6(host, what, "the zone after '%' is empty");
    }
    for (int i = 0; i < zone.length(); i++) {
      char c = zone.charAt(i);
      if (!(c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || c == '.'
          || c == '-'
          || c == '_')) {
        throw badIpv6(host, what, "the zone \"" + zone + "\" contains '" + c + "'");
      }
    }
    NetworkInterface nif;
    try {
      if (zone.chars().allMatch(c -> c >= '0' && c <= '9')) {
        if (zone.length() > 1 && zone.charAt(0) == '0' || zone.length() > 9) {
          throw badIpv6(host, what, "the zone \"" + zone + "\" is not an interface index");
        }
        int index = Integer.parseInt(zone);
        nif = index > 0 ? NetworkInterface.getByIndex(index) : null;
      } else {
        nif = NetworkInterface.getByName(zone);
      }
    } catch (SocketException e) {
      throw badIpv6(host, what, "cannot look up the zone \"" + zone + "\": " + e.getMessage());
    }
    if (nif == null) {
      throw badIpv6(host, what, "the zone \"" + zone + "\" names no network interface here");
    }
    return nif.getIndex();
  }

  private static Inet6Address inet6(byte[] bytes, int scopeId) {
    try {
      return Inet6Address.getByAddress(null, bytes, scopeId);
    } catch (UnknownHostException impossible) {
      throw new AssertionError(impossible);
    }
  }

  private static IllegalArgumentException badIpv6(String host, String what, String why) {
    return new IllegalArgumentException(
        what + " must be an IPv6 address such as ::1, was \"" + host + "\": " + why);
  }

  /** The IPv6 wildcard address, {@code ::}. */
  public static Inet6Address ipv6Any() {
    return inet6(new byte[16], -1);
  }

  /**
   * Whether an adopted channel's address is an IPv6 one; an IPv4-mapped address, which Java and
   * Netty report as an {@link Inet4Address}, is not.
   */
  public static boolean isIpv6(java.net.SocketAddress address) {
    return address instanceof InetSocketAddress
        && ((InetSocketAddress) address).getAddress() instanceof Inet6Address;
  }

  public static int checkPort(int port, String what) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(what + " must be in 0..65535, was " + port);
    }
    return port;
  }

  /** An IPv4 stream's address as text: a dotted quad, or an IPv6 one's RFC 5952 form. */
  public static String hostAddress(InetSocketAddress address) {
    InetAddress ip = address.getAddress();
    return ip instanceof Inet4Address ? ip.getHostAddress() : ipv6Text(ip);
  }

  /**
   * An IPv6 stream's address as text: the RFC 5952 form of an IPv6 address, an IPv4 one (which Java
   * and Netty make of an IPv4-mapped address) as IPv4-mapped ({@code ::ffff:127.0.0.1}).
   */
  public static String ipv6HostAddress(InetSocketAddress address) {
    return ipv6Text(address.getAddress());
  }

  /**
   * The RFC 5952 text of an address: lower-case hex without leading zeros, the longest run of two
   * or more zero groups (the first of equal ones) as {@code ::}, an IPv4-mapped address as {@code
   * ::ffff:} and a dotted quad, and a zone as the interface's name where it has one.
   */
  public static String ipv6Text(InetAddress ip) {
    byte[] b = ip.getAddress();
    if (b.length == 4) {
      return "::ffff:" + ip.getHostAddress();
    }
    StringBuilder s = new StringBuilder(46);
    if (isMapped(b)) {
      s.append("::ffff:")
          .append(b[12] & 0xff)
          .append('.')
          .append(b[13] & 0xff)
          .append('.')
          .append(b[14] & 0xff)
          .append('.')
          .append(b[15] & 0xff);
    } else {
      int bestStart = -1;
      int bestLength = 1;
      for (int i = 0; i < 8; ) {
        int j = i;
        while (j < 8 && b[2 * j] == 0 && b[2 * j + 1] == 0) {
          j++;
        }
        if (j - i > bestLength) {
          bestStart = i;
          bestLength = j - i;
        }
        i = j == i ? i + 1 : j;
      }
      for (int i = 0; i < 8; i++) {
        if (i == bestStart) {
          s.append("::");
          i += bestLength - 1;
          continue;
        }
        if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
          s.append(':');
        }
        s.append(Integer.toHexString((b[2 * i] & 0xff) << 8 | b[2 * i + 1] & 0xff));
      }
    }
    Inet6Address six = (Inet6Address) ip;
    NetworkInterface nif = six.getScopedInterface();
    int scope = six.getScopeId();
    if (nif == null && scope > 0) {
      try {
        nif = NetworkInterface.getByIndex(scope);
      } catch (SocketException e) {
        nif = null;
      }
    }
    if (nif != null) {
      s.append('%').append(nif.getName());
    } else if (scope > 0) {
      s.append('%').append(scope);
    }
    return s.toString();
  }

  private static boolean isMapped(byte[] b) {
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
  }
}
