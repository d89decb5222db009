package io.bbipc;

/** A TCP stream over IPv4. */
public interface Ipv4TcpStream extends StreamSocket {
  /**
   * Returns this end's address once connected, or the requested local address before.
   *
   * @return a dotted quad; {@code 0.0.0.0} while not yet known
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
   * @return a dotted quad
   */
  String remoteHostAddress();

  /**
   * Returns the peer's port.
   *
   * @return the port, 1 to 65535
   */
  int remotePort();
}
