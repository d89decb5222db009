package io.bbipc;

/** A TCP server listening on an IPv4 address. */
public interface Ipv4TcpServer extends StreamServer {
  /**
   * Returns the address the server is bound to.
   *
   * @return a dotted quad, {@code 0.0.0.0} for any address
   */
  String hostAddress();

  /**
   * Returns the port the server is bound to, the one the system picked when port 0 was asked for.
   *
   * @return the port, 1 to 65535
   */
  int port();

  @Override
  Ipv4TcpStream acceptConnection() throws IpcException;
}
