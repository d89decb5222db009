package io.bbipc.internal;

import io.bbipc.Ipv4TcpStream;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/** A TCP stream over IPv4. */
final class RealIpv4TcpStream extends RealTcpStream implements Ipv4TcpStream {
  /** A connecting stream, addressed as the user asked until it connects. */
  RealIpv4TcpStream(IpcRuntime runtime, Channel channel, String remoteHost, int remotePort,
                    String localHost, int localPort) {
    super(runtime, channel, remoteHost, remotePort,
        localHost == null ? Addresses.IPV4_ANY : localHost, localPort);
  }

  /** An accepted stream. */
  RealIpv4TcpStream(IpcRuntime runtime, Channel channel, RealIpv4TcpServer server) {
    super(runtime, channel, server);
  }

  /** An application's own channel, adopted. */
  RealIpv4TcpStream(IpcRuntime runtime, Channel channel) {
    super(runtime, channel);
  }

  @Override
  String text(InetSocketAddress address) {
    return Addresses.hostAddress(address);
  }

  @Override
  public String toString() {
    return "Ipv4TcpStream[" + localHostAddress() + ":" + localPort() + " -> " + remoteHostAddress()
        + ":" + remotePort() + "]";
  }
}
