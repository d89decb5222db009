package io.bbipc.internal;

import io.bbipc.LocalStream;
import io.bbipc.PeerCredentials;
import io.bbipc.internal.address.SocketFiles;
import io.netty.channel.Channel;
import java.nio.file.Path;
import java.util.Optional;

/** A stream over a local socket; both ends name the server's path. */
final class RealLocalStream extends RealStream implements LocalStream {
  private volatile Path pathname;
  private volatile Optional<PeerCredentials> peer = Optional.empty();

  private RealLocalStream(
      IpcRuntime runtime, Channel channel, Path pathname, RealLocalServer server, boolean adopted) {
    super(runtime, channel, server, adopted);
    this.pathname = pathname;
  }

  /** A stream connecting to the server at {@code pathname}. */
  static RealLocalStream connecting(IpcRuntime runtime, Channel channel, Path pathname) {
    return StreamTail.attached(new RealLocalStream(runtime, channel, pathname, null, false));
  }

  /** A stream {@code server} accepted. */
  static RealLocalStream accepted(
      IpcRuntime runtime, Channel channel, Path pathname, RealLocalServer server) {
    return StreamTail.attached(new RealLocalStream(runtime, channel, pathname, server, false));
  }

  /** An application's own channel; {@code pathname} is null while it is still connecting. */
  static RealLocalStream adopted(IpcRuntime runtime, Channel channel, Path pathname) {
    return ChannelAdoption.attached(new RealLocalStream(runtime, channel, pathname, null, true));
  }

  @Override
  void connected() {
    if (pathname == null) {
      // adopted before it connected: the server's path is known only now
      pathname = SocketFiles.pathOf(channel.remoteAddress());
    }
    try {
      peer = runtime.transport().peerCredentials(channel);
    } catch (RuntimeException unsupported) {
      peer = Optional.empty();
    }
  }

  @Override
  public Optional<PeerCredentials> peerCredentials() {
    return peer;
  }

  @Override
  public Path localPathname() {
    return pathname;
  }

  @Override
  public String toString() {
    return "LocalStream[" + pathname + "]";
  }
}
