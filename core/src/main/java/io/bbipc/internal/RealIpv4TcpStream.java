package io.bbipc.internal;

import io.bbipc.Ipv4TcpStream;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/** A TCP stream over IPv4. */
final class RealIpv4TcpStream extends RealTcpStream implements Ipv4TcpStream {
  /** A connecting stream, addressed as the user asked until it connects. */
  static RealIpv4TcpStream connecting(
      IpcRuntime runtime,
      Channel channel,
      String remoteHost,
      int remotePort,
      String localHost,
      int localPort) {
    return StreamTail.attached(
        new RealIpv4TcpStream(
            runtime,
            channel,
            remoteHost,
            remotePort,
            localHost == null ? Addresses.IPV4_ANY : localHost,
            localPort,
            null,
            false));
  }

  /** An accepted stream. */
  static RealIpv4TcpStream accepted(IpcRuntime runtime, Channel channel, RealIpv4TcpServer server) {
    return StreamTail.attached(
        new RealIpv4TcpStream(runtime, channel, null, 0, null, 0, server, false));
  }

  /** An application's own channel, adopted. */
  static RealIpv4TcpStream adopted(IpcRuntime runtime, Channel channel) {
    return ChannelAdoption.attached(
        new RealIpv4TcpStream(runtime, channel, null, 0, null, 0, null, true));
  }

  private RealIpv4TcpStream(
      IpcRuntime runtime,
      Channel channel,
      String remoteHost,
      int remotePort,
      String localHost,
      int localPort,
      RealIpv4TcpServer server,
      boolean adopted) {
    super(runtime, channel, remoteHost, remotePort, localHost, localPort, server, adopted);
  }

  @Override
  String text(InetSocketAddress address) {
    return Addresses.hostAddress(address);
  }

  @Override
  public String toString() {
    return "Ipv4TcpStream["
        + localHostAddress()
        + ":"
        + localPort()
        + " -> "
        + remoteHostAddress()
        + ":"
        + remotePort()
        + "]";
  }
}
