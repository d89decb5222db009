package io.bbipc.internal;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A TCP stream, IPv4 or IPv6: addresses are recorded when it connects, so they outlive the channel.
 */
abstract class RealTcpStream extends RealStream {
  private volatile String localHost;
  private volatile int localPort;
  private volatile String remoteHost;
  private volatile int remotePort;

  /**
   * A stream, addressed as the user asked until it connects (an accepted or adopted one has no
   * addresses until then).
   */
  RealTcpStream(
      IpcRuntime runtime,
      Channel channel,
      String remoteHost,
      int remotePort,
      String localHost,
      int localPort,
      RealTcpServer<?> server,
      boolean adopted) {
    super(runtime, channel, server, adopted);
    this.remoteHost = remoteHost;
    this.remotePort = remotePort;
    this.localHost = localHost;
    this.localPort = localPort;
  }

  /** An address of this stream's channel as the user sees it. */
  abstract String text(InetSocketAddress address);

  @Override
  void connected() {
    SocketAddress local = channel.localAddress();
    if (local instanceof InetSocketAddress) {
      localHost = text((InetSocketAddress) local);
      localPort = ((InetSocketAddress) local).getPort();
    }
    SocketAddress remote = channel.remoteAddress();
    if (remote instanceof InetSocketAddress) {
      remoteHost = text((InetSocketAddress) remote);
      remotePort = ((InetSocketAddress) remote).getPort();
    }
  }

  public String localHostAddress() {
    return localHost;
  }

  public int localPort() {
    return localPort;
  }

  public String remoteHostAddress() {
    return remoteHost;
  }

  public int remotePort() {
    return remotePort;
  }
}
