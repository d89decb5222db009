package io.bbipc.internal;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Strict parsing of dotted-quad IPv4 addresses and ports, done before any I/O. */
public final class Addresses {
  public static final String IPV4_ANY = "0.0.0.0";

  private Addresses() {
  }

  /**
   * Parses four decimal numbers 0..255 separated by dots; leading zeros are refused because
   * other parsers read them as octal.
   */
  public static InetAddress parseIpv4(String host, String what) {
    if (host == null) {
      throw new NullPointerException(what);
    }
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
      } else {
        throw badQuad(host, what, "it contains '" + c + "'");
      }
    }
    if (part != 4) {
      throw badQuad(host, what, "it has " + part + " numbers, not four");
    }
    try {
      return InetAddress.getByAddress(octets);
    } catch (UnknownHostException impossible) {
      throw new AssertionError(impossible);
    }
  }

  private static IllegalArgumentException badQuad(String host, String what, String why) {
    return new IllegalArgumentException(what + " must be a dotted quad such as 127.0.0.1, was \""
        + host + "\": " + why);
  }

  public static boolean isIpv4(String host) {
    try {
      parseIpv4(host, "host");
      return true;
    } catch (IllegalArgumentException notOne) {
      return false;
    }
  }

  public static int checkPort(int port, String what) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(what + " must be in 0..65535, was " + port);
    }
    return port;
  }

  public static String hostAddress(InetSocketAddress address) {
    InetAddress ip = address.getAddress();
    return ip instanceof Inet4Address ? ip.getHostAddress() : String.valueOf(ip);
  }
}
