package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.LocalServer;
import io.bbipc.LocalStream;
import io.bbipc.ServerOptions;
import java.nio.file.Path;

/** A server on a local socket file that it created and, on close, removes only if still its own. */
final class RealLocalServer extends RealServer<RealLocalStream> implements LocalServer {
  private final Path pathname;
  private final boolean deleteOnClose;
  /** The identity (device and inode) of the socket file this server created. */
  volatile Object fileKey;

  RealLocalServer(IpcRuntime runtime, Path pathname, ServerOptions options) {
    super(runtime, options);
    this.pathname = pathname;
    this.deleteOnClose = options.deleteOnClose();
  }

  @Override
  void beforeChannelClose() {
    // Removed before the channel closes, so the path is free by the time close() returns.
    if (deleteOnClose && fileKey != null) {
      SocketFiles.deleteIfOwn(pathname, fileKey);
    }
  }

  @Override
  public Path localPathname() {
    return pathname;
  }

  @Override
  public LocalStream acceptConnection() throws IpcException {
    return take();
  }

  @Override
  public String toString() {
    return "LocalServer[" + pathname + "]";
  }
}
