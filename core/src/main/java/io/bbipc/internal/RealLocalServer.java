package io.bbipc.internal;

import io.bbipc.LocalServer;
import io.bbipc.PeerCredentials;
import io.bbipc.ServerOptions;
import io.bbipc.internal.address.SocketFiles;
import io.netty.channel.Channel;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/** A server on a local socket file that it created and, on close, removes only if still its own. */
final class RealLocalServer extends RealServer<RealLocalStream> implements LocalServer {
  private final Path pathname;
  private final boolean deleteOnClose;
  private final Set<Integer> allowedUids;
  private final AtomicLong rejected = new AtomicLong();

  /** The identity (device and inode) of the socket file this server created. */
  volatile Object fileKey;

  RealLocalServer(IpcRuntime runtime, Path pathname, ServerOptions options) {
    super(runtime, options);
    this.pathname = pathname;
    this.deleteOnClose = options.deleteOnClose();
    this.allowedUids = options.allowedPeerUids();
  }

  @Override
  RealLocalStream accepted(Channel ch) {
    return RealLocalStream.accepted(runtime, ch, pathname, this);
  }

  @Override
  boolean admits(RealStream stream) {
    if (allowedUids == null) {
      return true;
    }
    Optional<PeerCredentials> peer = ((RealLocalStream) stream).peerCredentials();
    if (peer.isPresent() && allowedUids.contains(peer.get().uid())) {
      return true;
    }
    rejected.incrementAndGet();
    return false;
  }

  @Override
  public Path localPathname() {
    return pathname;
  }

  @Override
  public long rejectedConnections() {
    return refused();
  }

  @Override
  long refused() {
    return rejected.get();
  }

  @Override
  void beforeChannelClose() {
    // Removed before the channel closes, so the path is free by the time close() returns.
    if (deleteOnClose && fileKey != null) {
      SocketFiles.deleteIfOwn(pathname, fileKey);
    }
  }

  @Override
  public String toString() {
    return "LocalServer[" + pathname + "]";
  }
}
