package io.bbipc.internal;

import io.bbipc.LocalStream;
import io.netty.channel.Channel;
import java.nio.file.Path;

/** A stream over a local socket; both ends name the server's path. */
final class RealLocalStream extends RealStream implements LocalStream {
  private final Path pathname;

  RealLocalStream(IpcRuntime runtime, Channel channel, Path pathname, RealLocalServer server) {
    super(runtime, channel, server);
    this.pathname = pathname;
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
