package io.bbipc.internal;

/**
 * Told of every state change of a socket: waiting threads, pollers and {@code whenReady} futures.
 * Called on the socket's event loop (or on the thread that closed it), so it must be quick and must
 * not block.
 */
interface Listener {
  /**
   * The socket's state may have changed.
   *
   * @param socket the socket
   * @return false to be removed from the socket's listeners
   */
  boolean stateChanged(AbstractSocket socket);
}
