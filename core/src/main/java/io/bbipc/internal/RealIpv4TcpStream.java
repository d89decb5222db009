package io.bbipc.internal;

import io.bbipc.Ipv4TcpStream;
import io.netty.channel.Channel;

/** A TCP stream over IPv4, made only by {@link TcpFamily#IPV4}'s factories. */
final class RealIpv4TcpStream extends RealTcpStream implements Ipv4TcpStream {
  RealIpv4TcpStream(
      IpcRuntime runtime,
      Channel channel,
      RealTcpServer<RealIpv4TcpStream> server,
      boolean adopted) {
    super(runtime, channel, TcpFamily.IPV4, server, adopted);
  }
}
