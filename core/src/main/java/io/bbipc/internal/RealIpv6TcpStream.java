package io.bbipc.internal;

import io.bbipc.Ipv6TcpStream;
import io.netty.channel.Channel;

/**
 * A TCP stream over IPv6, made only by {@link TcpFamily#IPV6}'s factories; an IPv4 peer of a
 * dual-stack socket shows IPv4-mapped.
 */
final class RealIpv6TcpStream extends RealTcpStream implements Ipv6TcpStream {
  RealIpv6TcpStream(
      IpcRuntime runtime,
      Channel channel,
      RealTcpServer<RealIpv6TcpStream> server,
      boolean adopted) {
    super(runtime, channel, TcpFamily.IPV6, server, adopted);
  }
}
