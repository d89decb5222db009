package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.Ipv6TcpServer;
import io.bbipc.Ipv6TcpStream;
import io.bbipc.ServerOptions;
import io.netty.channel.Channel;

/**
 * A TCP server bound to an IPv6 address; on {@code ::} it may take IPv4 clients too (dual stack).
 */
final class RealIpv6TcpServer extends RealTcpServer<RealIpv6TcpStream> implements Ipv6TcpServer {
  RealIpv6TcpServer(IpcRuntime runtime, String hostAddress, ServerOptions options) {
    super(runtime, hostAddress, options);
  }

  @Override
  RealIpv6TcpStream accepted(Channel ch) {
    return RealIpv6TcpStream.accepted(runtime, ch, this);
  }

  @Override
  String where(int port) {
    return "[" + hostAddress() + "]:" + port;
  }

  @Override
  public Ipv6TcpStream acceptConnection() throws IpcException {
    return take();
  }

  @Override
  public String toString() {
    return "Ipv6TcpServer[" + where(port()) + "]";
  }
}
