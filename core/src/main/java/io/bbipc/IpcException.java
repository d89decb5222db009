package io.bbipc;

import java.io.IOException;

/** An I/O failure of a bbipc socket, poller or runtime (the original's {@code socket-error}). */
public class IpcException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The socket concerned; not serialized. */
  private final transient IpcSocket socket;

  /**
   * Creates an exception with a message and the socket concerned.
   *
   * @param message what went wrong, naming the values involved
   * @param socket the socket concerned, or null
   */
  public IpcException(String message, IpcSocket socket) {
    this(message, socket, null);
  }

  /**
   * Creates an exception with a message, the socket concerned and the underlying cause.
   *
   * @param message what went wrong, naming the values involved
   * @param socket the socket concerned, or null
   * @param cause the underlying failure, or null
   */
  public IpcException(String message, IpcSocket socket, Throwable cause) {
    super(message, cause);
    this.socket = socket;
  }

  /**
   * Returns the socket this failure concerns.
   *
   * @return the socket, or null when the failure concerns no single socket
   */
  public IpcSocket socket() {
    return socket;
  }
}
