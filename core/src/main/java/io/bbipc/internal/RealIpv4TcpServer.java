package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv4TcpStream;
import io.bbipc.ServerOptions;
import io.netty.channel.Channel;

/** A TCP server bound to an IPv4 address. */
final class RealIpv4TcpServer extends RealTcpServer<RealIpv4TcpStream> implements Ipv4TcpServer {
  RealIpv4TcpServer(IpcRuntime runtime, String hostAddress, ServerOptions options) {
    super(runtime, hostAddress, options);
  }

  @Override
  RealIpv4TcpStream accepted(Channel ch) {
    return RealIpv4TcpStream.accepted(runtime, ch, this);
  }

  @Override
  String where(int port) {
    return hostAddress() + ":" + port;
  }

  @Override
  public Ipv4TcpStream acceptConnection() throws IpcException {
    return take();
  }

  @Override
  public String toString() {
    return "Ipv4TcpServer[" + where(port()) + "]";
  }
}
