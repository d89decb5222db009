package io.bbipc;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A connected or connecting byte stream whose reads and writes never block.
 *
 * <p>Received bytes wait in the stream's one inbound buffer (bounded by the runtime's {@code
 * inboundBufferLimit}) until read; written bytes wait in its outbound buffer (bounded by {@code
 * outboundBufferLimit}) until the peer takes them. The predicates return false once the stream is
 * closed.
 */
public interface StreamSocket extends IpcSocket {
  /**
   * Tells whether the connection attempt has ended.
   *
   * @return true once {@code DETERMINED} holds
   */
  boolean determined();

  /**
   * Tells whether the stream is connected and the peer has not disconnected.
   *
   * @return true while {@code CONNECTION_SUCCEEDED} holds
   */
  boolean connectionSucceeded();

  /**
   * Tells whether the connection attempt failed or the peer has disconnected.
   *
   * @return true once {@code CONNECTION_FAILED} holds
   */
  boolean connectionFailed();

  /**
   * Tells whether at least one received byte waits to be read.
   *
   * @return true while {@code DATA_AVAILABLE} holds
   */
  boolean dataAvailable();

  /**
   * Tells whether {@code writeToStream} would accept at least one byte now.
   *
   * @return true while {@code READY_TO_WRITE} holds
   */
  boolean readyToWrite();

  /**
   * Tells whether the peer has closed or reset the connection.
   *
   * @return true once {@code REMOTE_DISCONNECTED} holds
   */
  boolean remoteDisconnected();

  /**
   * Copies buffered bytes into the whole of {@code buffer}, consuming them.
   *
   * @param buffer where to copy to
   * @return the number of bytes copied, 0 when none are buffered
   * @throws IpcException if the stream is closed
   */
  int readFromStream(byte[] buffer) throws IpcException;

  /**
   * Copies buffered bytes into {@code buffer[start..end)}, consuming them.
   *
   * @param buffer where to copy to
   * @param start the first index written, 0 to {@code end}
   * @param end one past the last index that may be written, {@code start} to {@code buffer.length}
   * @return the number of bytes copied, 0 when none are buffered
   * @throws IpcException if the stream is closed
   * @throws IndexOutOfBoundsException if {@code start} or {@code end} is out of range
   */
  int readFromStream(byte[] buffer, int start, int end) throws IpcException;

  /**
   * Copies buffered bytes into {@code buffer[start..end)}, consuming them unless {@code peek}.
   *
   * @param buffer where to copy to
   * @param start the first index written, 0 to {@code end}
   * @param end one past the last index that may be written, {@code start} to {@code buffer.length}
   * @param peek true to leave the bytes buffered, so the next read returns them again
   * @return the number of bytes copied, 0 when none are buffered
   * @throws IpcException if the stream is closed
   * @throws IndexOutOfBoundsException if {@code start} or {@code end} is out of range
   */
  int readFromStream(byte[] buffer, int start, int end, boolean peek) throws IpcException;

  /**
   * Copies buffered bytes into {@code destination} from its position to its limit, advancing its
   * position, and consumes them.
   *
   * @param destination where to copy to
   * @return the number of bytes copied, 0 when none are buffered
   * @throws IpcException if the stream is closed
   * @throws java.nio.ReadOnlyBufferException if {@code destination} is read-only
   */
  int readFromStream(ByteBuffer destination) throws IpcException;

  /**
   * Queues as much of {@code buffer} as the outbound limit allows.
   *
   * @param buffer the bytes to send
   * @return the number of bytes accepted, from the start of {@code buffer}; 0 when the outbound
   *     buffer is full or the stream is not yet connected
   * @throws IpcException if the stream is closed or its peer has disconnected
   */
  int writeToStream(byte[] buffer) throws IpcException;

  /**
   * Queues as much of {@code buffer[start..end)} as the outbound limit allows.
   *
   * @param buffer the bytes to send
   * @param start the first index sent, 0 to {@code end}
   * @param end one past the last index sent, {@code start} to {@code buffer.length}
   * @return the number of bytes accepted, from {@code start}; 0 when the outbound buffer is full or
   *     the stream is not yet connected
   * @throws IpcException if the stream is closed or its peer has disconnected
   * @throws IndexOutOfBoundsException if {@code start} or {@code end} is out of range
   */
  int writeToStream(byte[] buffer, int start, int end) throws IpcException;

  /**
   * Queues as much of {@code source} (position to limit) as the outbound limit allows, advancing
   * its position past the bytes accepted.
   *
   * @param source the bytes to send
   * @return the number of bytes accepted; 0 when the outbound buffer is full or the stream is not
   *     yet connected
   * @throws IpcException if the stream is closed or its peer has disconnected
   */
  int writeToStream(ByteBuffer source) throws IpcException;

  /**
   * Finishes sending: the peer gets end-of-stream after every byte {@code writeToStream} has
   * already accepted, while this stream goes on receiving until the peer's own end-of-stream.
   * Afterwards {@code writeToStream} throws {@link IpcException} and {@code READY_TO_WRITE} does
   * not hold. A second call does nothing.
   *
   * @throws IpcException if the stream is closed, or its connection failed or was lost
   */
  void shutdownOutput() throws IpcException;

  /**
   * Returns a future that completes on this stream's event loop with the events of {@code events}
   * that hold, as soon as any does.
   *
   * @param events the events to wait for, not empty, each supported by streams
   * @return the future; already failed with {@link IpcException} if the stream is closed, and
   *     failed with it if the stream is closed before an event holds
   * @throws IllegalArgumentException if {@code events} is empty or holds an unsupported event
   */
  CompletableFuture<Set<SocketEvent>> whenReady(Set<SocketEvent> events);

  /**
   * Takes a snapshot of what this stream has moved and holds; works from any thread, closed or not,
   * and on a caller-driven runtime too.
   *
   * @return the counters now
   */
  StreamStats stats();
}
