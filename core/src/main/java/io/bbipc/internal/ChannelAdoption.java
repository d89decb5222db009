package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.StreamSocket;
import io.bbipc.internal.address.Addresses;
import io.bbipc.internal.address.SocketFiles;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Streams of channels an application made and configured itself ({@code NettyIpc.adopt}): bbipc
 * adds its handler and nothing else, and the runtime tracks the stream for its close.
 */
public final class ChannelAdoption {
  /** Bounds the wait for an adopted channel's event loop to take bbipc's handler. */
  private static final long ADOPT_WAIT_SECONDS = 10;

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
    if (ch.pipeline().get(StreamTail.NAME) != null) {
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
              ? TcpFamily.IPV6.adopted(runtime, ch)
              : TcpFamily.IPV4.adopted(runtime, ch);
    } else {
      Path path = SocketFiles.pathOf(remote);
      stream =
          RealLocalStream.adopted(runtime, ch, path != null ? path : SocketFiles.pathOf(local));
    }
    runtime.track(stream);
    return stream;
  }

  /**
   * What the factories of adopted streams return: the stream, with bbipc's handler last in its
   * channel's pipeline, added on the channel's event loop. Added from another thread, the handler
   * would miss the reads the loop handles before it runs {@code handlerAdded}, and those bytes
   * would fall off the pipeline's end; so another thread waits for the loop (at most {@value
   * #ADOPT_WAIT_SECONDS} s).
   *
   * @throws IllegalStateException if the loop did not add the handler in time
   */
  static <S extends RealStream> S attached(S stream) {
    Channel ch = stream.channel;
    EventLoop loop = ch.eventLoop();
    if (loop.inEventLoop()) {
      attachOnLoop(stream);
      return stream;
    }
    Waiter.checkMayBlock("adopting a channel of another event loop");
    Future<?> added = loop.submit(() -> attachOnLoop(stream));
    if (!added.awaitUninterruptibly(ADOPT_WAIT_SECONDS, TimeUnit.SECONDS) || !added.isSuccess()) {
      throw new IllegalStateException("could not add bbipc's handler to " + ch, added.cause());
    }
    return stream;
  }

  /**
   * Event loop: the stream takes the channel's state as it is, then hears of every change: the end
   * of a connect under way through its handler, and a close before that through the close future (a
   * failed connect closes the channel without {@code channelInactive}).
   */
  private static void attachOnLoop(RealStream stream) {
    stream.adoptedAsIs();
    stream.channel.pipeline().addLast(StreamTail.NAME, new StreamTail(stream));
    stream.channel.closeFuture().addListener(f -> stream.closedUndetermined());
  }
}
