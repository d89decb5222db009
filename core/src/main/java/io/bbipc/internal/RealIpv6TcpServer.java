package io.bbipc.internal;

import io.bbipc.Ipv6TcpServer;
import io.bbipc.ServerOptions;

/**
 * A TCP server bound to an IPv6 address; on {@code ::} it may take IPv4 clients too (dual stack).
 */
final class RealIpv6TcpServer extends RealTcpServer<RealIpv6TcpStream> implements Ipv6TcpServer {
  RealIpv6TcpServer(IpcRuntime runtime, String hostAddress, ServerOptions options) {
    super(runtime, TcpFamily.IPV6, hostAddress, options);
  }
}
