package io.bbipc.internal;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A TCP stream, IPv4 or IPv6 as its {@link TcpFamily} says: addresses are recorded when it
 * connects, so they outlive the channel.
 */
abstract class RealTcpStream extends RealStream {
  /** An address as the stream shows it, and its port: written together, so read together. */
  private record Endpoint(String host, int port) {}

  /** No address yet: an accepted or adopted stream's until it connects. */
  private static final Endpoint NONE = new Endpoint(null, 0);

  private final TcpFamily<?> family;
  private volatile Endpoint local = NONE;
  private volatile Endpoint remote = NONE;

  /** A stream with no addresses until it connects, unless {@link #addressed} gives some. */
  RealTcpStream(
      IpcRuntime runtime,
      Channel channel,
      TcpFamily<?> family,
      RealTcpServer<?> server,
      boolean adopted) {
    super(runtime, channel, server, adopted);
    this.family = family;
  }

  /** A connecting stream, before it is attached: addressed as the user asked until it connects. */
  final void addressed(String remoteHost, int remotePort, String localHost, int localPort) {
    remote = new Endpoint(remoteHost, remotePort);
    local = new Endpoint(localHost, localPort);
  }

  @Override
  void connected() {
    SocketAddress l = channel.localAddress();
    if (l instanceof InetSocketAddress) {
      local = endpoint((InetSocketAddress) l);
    }
    SocketAddress r = channel.remoteAddress();
    if (r instanceof InetSocketAddress) {
      remote = endpoint((InetSocketAddress) r);
    }
  }

  private Endpoint endpoint(InetSocketAddress address) {
    return new Endpoint(family.text(address), address.getPort());
  }

  public String localHostAddress() {
    return local.host();
  }

  public int localPort() {
    return local.port();
  }

  public String remoteHostAddress() {
    return remote.host();
  }

  public int remotePort() {
    return remote.port();
  }

  @Override
  public String toString() {
    Endpoint l = local;
    Endpoint r = remote;
    return family.name()
        + "TcpStream["
        + family.where(l.host(), l.port())
        + " -> "
        + family.where(r.host(), r.port())
        + "]";
  }
}
