package io.bbipc.internal;

import io.bbipc.Ipv6TcpStream;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/** A TCP stream over IPv6; an IPv4 peer of a dual-stack socket shows IPv4-mapped. */
final class RealIpv6TcpStream extends RealTcpStream implements Ipv6TcpStream {
  /** A connecting stream, addressed as the user asked (in RFC 5952 form) until it connects. */
  static RealIpv6TcpStream connecting(
      IpcRuntime runtime,
      Channel channel,
      String remoteHost,
      int remotePort,
      String localHost,
      int localPort) {
    return StreamTail.attached(
        new RealIpv6TcpStream(
            runtime,
            channel,
            remoteHost,
            remotePort,
            localHost == null ? Addresses.IPV6_ANY : localHost,
            localPort,
            null,
            false));
  }

  /** An accepted stream. */
  static RealIpv6TcpStream accepted(IpcRuntime runtime, Channel channel, RealIpv6TcpServer server) {
    return StreamTail.attached(
        new RealIpv6TcpStream(runtime, channel, null, 0, null, 0, server, false));
  }

  /** An application's own channel, adopted. */
  static RealIpv6TcpStream adopted(IpcRuntime runtime, Channel channel) {
    return ChannelAdoption.attached(
        new RealIpv6TcpStream(runtime, channel, null, 0, null, 0, null, true));
  }

  private RealIpv6TcpStream(
      IpcRuntime runtime,
      Channel channel,
      String remoteHost,
      int remotePort,
      String localHost,
      int localPort,
      RealIpv6TcpServer server,
      boolean adopted) {
    super(runtime, channel, remoteHost, remotePort, localHost, localPort, server, adopted);
  }

  @Override
  String text(InetSocketAddress address) {
    return Addresses.ipv6HostAddress(address);
  }

  @Override
  public String toString() {
    return "Ipv6TcpStream[["
        + localHostAddress()
        + "]:"
        + localPort()
        + " -> ["
        + remoteHostAddress()
        + "]:"
        + remotePort()
        + "]";
  }
}
