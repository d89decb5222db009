package io.bbipc;

/**
 * A TCP server listening on an IPv6 address. On {@code ::} it also takes IPv4 clients, which its
 * streams report IPv4-mapped ({@code ::ffff:127.0.0.1}): the JDK and Netty make every IPv6 socket
 * dual-stack, whatever Linux's {@code net.ipv6.bindv6only} says.
 */
public interface Ipv6TcpServer extends StreamServer {
  /**
   * Returns the address the server is bound to, in the canonical text form of RFC 5952.
   *
   * @return an IPv6 address such as {@code ::1}, {@code ::} for any address, with its zone ({@code
   *     %} and the interface's name) if it was given one
   */
  String hostAddress();

  /**
   * Returns the port the server is bound to, the one the system picked when port 0 was asked for.
   *
   * @return the port, 1 to 65535
   */
  int port();

  @Override
  Ipv6TcpStream acceptConnection() throws IpcException;
}
