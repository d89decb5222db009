package io.bbipc;

import java.util.Objects;

/**
 * What a runtime's sockets have moved and hold, at one moment ({@link Ipc#stats()}).
 *
 * @param openStreams streams handed to the application and not closed
 * @param openServers servers not closed
 * @param streams the sums over every stream the runtime handed out, closed ones included; the
 *     buffered bytes and a pause under way count only for open streams
 * @param servers the sums over every server the runtime made, closed ones included; waiting
 *     connections count only for open servers
 */
public record IpcStats(int openStreams, int openServers, StreamStats streams, ServerStats servers) {
  /**
   * Makes a snapshot.
   *
   * @param openStreams streams handed to the application and not closed
   * @param openServers servers not closed
   * @param streams the sums over the runtime's streams
   * @param servers the sums over the runtime's servers
   * @throws NullPointerException if {@code streams} or {@code servers} is null
   */
  public IpcStats {
    Objects.requireNonNull(streams, "streams");
    Objects.requireNonNull(servers, "servers");
  }
}
