package io.bbipc.internal;

import io.bbipc.LocalStream;
import io.bbipc.PeerCredentials;
import io.netty.channel.Channel;
import java.nio.file.Path;
import java.util.Optional;

/** A stream over a local socket; both ends name the server's path. */
final class RealLocalStream extends RealStream implements LocalStream {
  private volatile Path pathname;
  private volatile Optional<PeerCredentials> peer = Optional.empty();

  RealLocalStream(IpcRuntime runtime, Channel channel, Path pathname, RealLocalServer server) {
    super(runtime, channel, server, false);
    this.pathname = pathname;
  }

  /** An application's own channel, adopted. */
  RealLocalStream(IpcRuntime runtime, Channel channel, Path pathname) {
    super(runtime, channel, null, true);
    this.pathname = pathname;
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
