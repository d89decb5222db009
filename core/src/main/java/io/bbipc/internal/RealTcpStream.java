package io.bbipc.internal;

import io.bbipc.Ipv4TcpStream;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** A TCP stream: addresses are recorded when it connects, so they outlive the channel. */
final class RealIpv4TcpStream extends RealStream implements Ipv4TcpStream {
  private volatile String localHost;
  private volatile int localPort;
  private volatile String remoteHost;
  private volatile int remotePort;

  /** A connecting stream, addressed as the user asked until it connects. */
  RealIpv4TcpStream(IpcRuntime runtime, Channel channel, String remoteHost, int remotePort,
                    String localHost, int localPort) {
    super(runtime, channel, null, false);
    this.remoteHost = remoteHost;
    this.remotePort = remotePort;
    this.localHost = localHost == null ? Addresses.IPV4_ANY : localHost;
    this.localPort = localPort;
  }

  /** An accepted stream. */
  RealIpv4TcpStream(IpcRuntime runtime, Channel channel, RealIpv4TcpServer server) {
    super(runtime, channel, server, false);
  }

  /** An application's own channel, adopted. */
  RealIpv4TcpStream(IpcRuntime runtime, Channel channel) {
    super(runtime, channel, null, true);
  }

  @Override
  void connected() {
    SocketAddress local = channel.localAddress();
    if (local instanceof InetSocketAddress) {
      localHost = Addresses.hostAddress((InetSocketAddress) local);
      localPort = ((InetSocketAddress) local).getPort();
    }
    SocketAddress remote = channel.remoteAddress();
    if (remote instanceof InetSocketAddress) {
      remoteHost = Addresses.hostAddress((InetSocketAddress) remote);
      remotePort = ((InetSocketAddress) remote).getPort();
    }
  }

  @Override
  public String localHostAddress() {
    return localHost;
  }

  @Override
  public int localPort() {
    return localPort;
  }

  @Override
  public String remoteHostAddress() {
    return remoteHost;
  }

  @Override
  public int remotePort() {
    return remotePort;
  }

  @Override
  public String toString() {
    return "Ipv4TcpStream[" + localHost + ":" + localPort + " -> " + remoteHost + ":" + remotePort + "]";
  }
}
