package io.bbipc;

/** A listening socket that reports {@link SocketEvent#CONNECTION_AVAILABLE}. */
public interface StreamServer extends IpcSocket {
  /**
   * Takes the oldest waiting connection without blocking.
   *
   * @return the accepted stream, already connected and independent of this server
   * @throws NoConnectionAvailableException if no connection is waiting
   * @throws IpcException if the server is closed
   */
  StreamSocket acceptConnection() throws IpcException;

  /**
   * Tells whether a connection is waiting to be accepted.
   *
   * @return true while {@code CONNECTION_AVAILABLE} holds; false once closed
   */
  boolean connectionAvailable();

  /**
   * Takes a snapshot of what this server has accepted; works from any thread, closed or not.
   *
   * @return the counters now
   */
  ServerStats stats();
}
