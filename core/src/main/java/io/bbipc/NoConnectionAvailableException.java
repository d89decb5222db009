package io.bbipc;

/** Thrown by {@link StreamServer#acceptConnection()} when no connection is waiting. */
public class NoConnectionAvailableException extends IpcException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception for a server with no waiting connection.
   *
   * @param message what went wrong
   * @param server the server that had no connection
   */
  public NoConnectionAvailableException(String message, IpcSocket server) {
    super(message, server);
  }
}
