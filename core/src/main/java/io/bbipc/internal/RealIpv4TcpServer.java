package io.bbipc.internal;

import io.bbipc.Ipv4TcpServer;
import io.bbipc.ServerOptions;

/** A TCP server bound to an IPv4 address. */
final class RealIpv4TcpServer extends RealTcpServer<RealIpv4TcpStream> implements Ipv4TcpServer {
  RealIpv4TcpServer(IpcRuntime runtime, String hostAddress, ServerOptions options) {
    super(runtime, TcpFamily.IPV4, hostAddress, options);
  }
}
