package io.bbipc;

import java.util.Objects;

/**
 * What a runtime's sockets have moved and hold, at one moment ({@link Ipc#stats()}). A socket joins
 * the sums over closed sockets as it leaves the open ones, in one step, so no sum of a count falls
 * from one snapshot to the next.
 *
 * @param openStreams streams handed to the application and not closed
 * @param openServers servers not closed
 * @param streams the sums over every stream the runtime handed out, closed ones included with their
 *     counts as they stood at the close (a pause under way ends there, and what a stream still had
 *     to send counts as sent, since its close goes on sending it); the buffered bytes count only
 *     for open streams
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
