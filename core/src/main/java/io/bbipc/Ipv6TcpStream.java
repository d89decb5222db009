package io.bbipc;

/**
 * A TCP stream over IPv6. Its addresses are in the canonical text form of RFC 5952; an IPv4 peer
 * (of a dual-stack server on {@code ::}, or reached through an IPv4-mapped address) shows
 * IPv4-mapped, as {@code ::ffff:127.0.0.1}.
 */
public interface Ipv6TcpStream extends StreamSocket {
  /**
   * Returns this end's address once connected, or the requested local address before.
   *
   * @return an IPv6 address; {@code ::} while not yet known
   */
  String localHostAddress();

  /**
   * Returns this end's port once connected, or the requested local port before.
   *
   * @return the port; 0 while not yet known
   */
  int localPort();

  /**
   * Returns the peer's address.
   *
   * @return an IPv6 address
   */
  String remoteHostAddress();

  /**
   * Returns the peer's port.
   *
   * @return the port, 1 to 65535
   */
  int remotePort();
}
