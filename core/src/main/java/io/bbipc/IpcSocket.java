package io.bbipc;

import java.util.Set;

/** A server or stream socket of a bbipc runtime; every method is safe to call from any thread. */
public interface IpcSocket extends AutoCloseable {
  /**
   * Closes the socket; idempotent, returns at once and throws nothing (the original's {@code
   * close-socket}).
   */
  @Override
  void close();

  /**
   * Tells whether {@link #close()} has been called; the peer never closes a socket for you.
   *
   * @return true once closed by its user
   */
  boolean isClosed();

  /**
   * Returns the events this kind of socket can report.
   *
   * @return an unmodifiable set: {@code CONNECTION_AVAILABLE} for servers, the other six for
   *     streams
   */
  Set<SocketEvent> supportedEvents();

  /**
   * Waits until at least one of {@code events} holds, the timeout passes, the socket is closed or
   * the thread is interrupted.
   *
   * @param events the events to wait for, not empty, each supported by this socket
   * @param timeout how long to wait
   * @return the requested events that hold, empty if none did (interrupted: empty, interrupt status
   *     kept)
   * @throws IpcException if the socket is closed, before or while waiting
   * @throws IllegalArgumentException if {@code events} is empty or holds an unsupported event
   */
  Set<SocketEvent> poll(Set<SocketEvent> events, Timeout timeout) throws IpcException;

  /**
   * Waits until {@code event} holds, the timeout passes, the socket is closed or the thread is
   * interrupted.
   *
   * @param event the event to wait for, supported by this socket
   * @param timeout how long to wait
   * @return true if the event holds
   * @throws IpcException if the socket is closed, before or while waiting
   * @throws IllegalArgumentException if this socket does not support {@code event}
   */
  boolean poll(SocketEvent event, Timeout timeout) throws IpcException;
}
