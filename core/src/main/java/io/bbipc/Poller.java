package io.bbipc;

import java.util.List;
import java.util.Set;

/**
 * Waits for events on many sockets at once, at a cost that grows with the number of ready sockets,
 * not with the number monitored. Sockets of different runtimes may share a poller.
 */
public interface Poller extends AutoCloseable {
  /**
   * Starts monitoring {@code socket} for {@code events}, replacing any events it had.
   *
   * @param socket the socket to watch, open
   * @param events the events to report, not empty, each supported by the socket
   * @throws IpcException if the poller or the socket is closed
   * @throws IllegalArgumentException if {@code events} is empty or holds an unsupported event
   */
  void monitorSocket(IpcSocket socket, Set<SocketEvent> events) throws IpcException;

  /**
   * Stops monitoring {@code socket}; does nothing if it is not monitored.
   *
   * @param socket the socket to forget
   */
  void unmonitorSocket(IpcSocket socket);

  /**
   * Tells whether {@code socket} is monitored.
   *
   * @param socket the socket
   * @return true if monitored
   */
  boolean isMonitored(IpcSocket socket);

  /**
   * Returns the events monitored for {@code socket}.
   *
   * @param socket the socket
   * @return an unmodifiable set, empty when the socket is not monitored
   */
  Set<SocketEvent> monitoredEvents(IpcSocket socket);

  /**
   * Changes the events monitored for an already monitored {@code socket}.
   *
   * @param socket the monitored socket
   * @param events the events to report, not empty, each supported by the socket
   * @throws IpcException if the poller or the socket is closed, or the socket is not monitored
   * @throws IllegalArgumentException if {@code events} is empty or holds an unsupported event
   */
  void setMonitoredEvents(IpcSocket socket, Set<SocketEvent> events) throws IpcException;

  /**
   * Returns the monitored sockets; a socket closed by its user is dropped from every poller.
   *
   * @return an unmodifiable snapshot
   */
  Set<IpcSocket> monitoredSockets();

  /**
   * Waits until at least one monitored socket has a monitored event, the timeout passes, the poller
   * is closed or the thread is interrupted.
   *
   * @param timeout how long to wait
   * @return every monitored socket with at least one monitored event holding, and only those; empty
   *     if none did (interrupted: empty, interrupt status kept)
   * @throws IpcException if the poller is closed, before or while waiting
   */
  List<PollResult> waitForEvents(Timeout timeout) throws IpcException;

  /** Closes the poller, waking every thread waiting in it; idempotent, leaves the sockets open. */
  @Override
  void close();

  /**
   * Tells whether {@link #close()} has been called.
   *
   * @return true once closed
   */
  boolean isClosed();
}
