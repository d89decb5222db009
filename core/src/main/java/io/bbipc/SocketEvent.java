package io.bbipc;

/**
 * A condition of a socket that {@code poll}, {@code pollSockets}, a {@link Poller} or {@link
 * StreamSocket#whenReady} can wait for.
 *
 * <p>Events are level-triggered: an event is reported for as long as its condition holds.
 */
public enum SocketEvent {
  /** A server has a connection waiting to be accepted. */
  CONNECTION_AVAILABLE,
  /** A stream's connection attempt has ended, successfully or not. */
  DETERMINED,
  /** A stream is connected and its peer has not disconnected. */
  CONNECTION_SUCCEEDED,
  /** A stream's connection attempt failed or its peer has disconnected. */
  CONNECTION_FAILED,
  /** A stream has at least one received byte waiting to be read. */
  DATA_AVAILABLE,
  /** A connected stream would accept at least one byte in {@code writeToStream}. */
  READY_TO_WRITE,
  /** A stream's peer has closed or reset the connection. */
  REMOTE_DISCONNECTED
}
