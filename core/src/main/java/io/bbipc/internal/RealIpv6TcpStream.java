package io.bbipc.internal;

import io.bbipc.Ipv6TcpStream;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/** A TCP stream over IPv6; an IPv4 peer of a dual-stack socket shows IPv4-mapped. */
final class RealIpv6TcpStream extends RealTcpStream implements Ipv6TcpStream {
  /** A connecting stream, addressed as the user asked (in RFC 5952 form) until it connects. */
  RealIpv6TcpStream(IpcRuntime runtime, Channel channel, String remoteHost, int remotePort,
                    String localHost, int localPort) {
    super(runtime, channel, remoteHost, remotePort,
        localHost == null ? Addresses.IPV6_ANY : localHost, localPort);
  }

  /** An accepted stream. */
  RealIpv6TcpStream(IpcRuntime runtime, Channel channel, RealIpv6TcpServer server) {
    super(runtime, channel, server);
  }

  /** An application's own channel, adopted. */
  RealIpv6TcpStream(IpcRuntime runtime, Channel channel) {
    super(runtime, channel);
  }

  @Override
  String text(InetSocketAddress address) {
    return Addresses.ipv6HostAddress(address);
  }

  @Override
  public String toString() {
    return "Ipv6TcpStream[[" + localHostAddress() + "]:" + localPort() + " -> ["
        + remoteHostAddress() + "]:" + remotePort() + "]";
  }
}
