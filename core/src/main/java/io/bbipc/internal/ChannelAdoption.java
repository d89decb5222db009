package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.StreamSocket;
import io.bbipc.internal.address.Addresses;
import io.bbipc.internal.address.SocketFiles;
import io.netty.channel.Channel;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Streams of channels an application made and configured itself ({@code NettyIpc.adopt}): bbipc
 * adds its handler and nothing else, and the runtime tracks the stream for its close.
 */
public final class ChannelAdoption {
  private ChannelAdoption() {}

  /**
   * Makes a stream of an application's own registered channel: a TCP stream when its addresses are
   * IP addresses (IPv6 when they are IPv6 ones), a local stream when they are paths.
   *
   * @param runtime the runtime the stream belongs to, on the channel's event loop group
   * @param ch a registered stream channel that is not yet a bbipc stream
   * @return the stream, connected if the channel is active
   * @throws IpcException if the runtime is closed
   */
  public static StreamSocket adopt(IpcRuntime runtime, Channel ch) throws IpcException {
    Objects.requireNonNull(ch, "channel");
    if (!ch.isRegistered()) {
      throw new IllegalArgumentException("channel " + ch + " is not registered with an event loop");
    }
    if (ch instanceof ServerChannel) {
      throw new IllegalArgumentException("channel " + ch + " is a server channel, not a stream");
    }
    if (ch.pipeline().get("bbipc") != null) {
      throw new IllegalArgumentException("channel " + ch + " is already a bbipc stream");
    }
    CallerDrivenLoop loop = runtime.loop();
    if (loop != null && ch.eventLoop() != loop) {
      throw new IllegalArgumentException(
          "channel "
              + ch
              + " runs on another event loop than this"
              + " caller-driven runtime's; register it with the runtime's eventLoopGroup() first");
    }
    runtime.enter(runtime);
    runtime.checkOpen();
    SocketAddress remote = ch.remoteAddress();
    SocketAddress local = ch.localAddress();
    RealStream stream;
    // a channel still connecting has no addresses yet: its class tells TCP from local
    if (ch instanceof SocketChannel
        || remote instanceof InetSocketAddress
        || local instanceof InetSocketAddress) {
      stream =
          Addresses.isIpv6(remote != null ? remote : local)
              ? RealIpv6TcpStream.adopted(runtime, ch)
              : RealIpv4TcpStream.adopted(runtime, ch);
    } else {
      Path path = SocketFiles.pathOf(remote);
      stream =
          RealLocalStream.adopted(runtime, ch, path != null ? path : SocketFiles.pathOf(local));
    }
    runtime.track(stream);
    return stream;
  }
}
