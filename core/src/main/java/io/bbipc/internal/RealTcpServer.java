package io.bbipc.internal;

import io.bbipc.ServerOptions;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/**
 * A TCP server, IPv4 or IPv6 as its {@link TcpFamily} says: the address it was asked for and the
 * port it got.
 *
 * @param <S> the kind of stream it accepts
 */
abstract class RealTcpServer<S extends RealTcpStream> extends RealServer<S> {
  private final TcpFamily<S> family;
  private final String hostAddress;
  private volatile int port;

  RealTcpServer(
      IpcRuntime runtime, TcpFamily<S> family, String hostAddress, ServerOptions options) {
    super(runtime, options);
    this.family = family;
    this.hostAddress = hostAddress;
  }

  @Override
  final S accepted(Channel ch) {
    return family.accepted(runtime, ch, this);
  }

  /** The address and a port as text, as in messages and {@code toString}. */
  final String where(int port) {
    return family.where(hostAddress, port);
  }

  void bound() {
    port = ((InetSocketAddress) channel.localAddress()).getPort();
  }

  public String hostAddress() {
    return hostAddress;
  }

  public int port() {
    return port;
  }

  @Override
  public String toString() {
    return family.name() + "TcpServer[" + where(port()) + "]";
  }
}
