package io.bbipc.internal;

import io.bbipc.ServerOptions;
import java.net.InetSocketAddress;

/**
 * A TCP server, IPv4 or IPv6: the address it was asked for and the port it got.
 *
 * @param <S> the kind of stream it accepts
 */
abstract class RealTcpServer<S extends RealTcpStream> extends RealServer<S> {
  private final String hostAddress;
  private volatile int port;

  RealTcpServer(IpcRuntime runtime, String hostAddress, ServerOptions options) {
    super(runtime, options);
    this.hostAddress = hostAddress;
  }

  /** The address and a port as text, as in messages and {@code toString}. */
  abstract String where(int port);

  void bound() {
    port = ((InetSocketAddress) channel.localAddress()).getPort();
  }

  public String hostAddress() {
    return hostAddress;
  }

  public int port() {
    return port;
  }
}
