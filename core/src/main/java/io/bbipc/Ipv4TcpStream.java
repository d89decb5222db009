package io.bbipc;

/**
 * A TCP stream over IPv4. A server on {@code 0.0.0.0} is dual-stack (the JDK and Netty bind it as
 * {@code ::}), so one of its streams may have an IPv6 peer; such a stream's addresses are IPv6
 * ones, in the text form of RFC 5952 ({@code ::1}).
 */
public interface Ipv4TcpStream extends StreamSocket {
  /**
   * Returns this end's address once connected, or the requested local address before.
   *
   * @return a dotted quad (or IPv6 text, see above); {@code 0.0.0.0} while not yet known
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
   * @return a dotted quad (or IPv6 text, see above)
   */
  String remoteHostAddress();

  /**
   * Returns the peer's port.
   *
   * @return the port, 1 to 65535
   */
  int remotePort();
}
