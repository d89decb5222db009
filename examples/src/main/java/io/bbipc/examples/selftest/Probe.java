package io.bbipc.examples.selftest;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_FAILED;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;

import io.bbipc.IpcException;
import io.bbipc.IpcSocket;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;

/**
 * Holds one check's run on one row: its deadline, and everything it opens, closed when it ends
 * whichever way it ends.
 */
final class Probe implements AutoCloseable {
  final Row row;
  private final long deadline;
  private final Deque<AutoCloseable> opened = new ArrayDeque<>();
  private final List<Future<?>> background = new ArrayList<>();

  /** Makes the run of a check on {@code row} that must end by {@code deadline}. */
  Probe(Row row, long deadline) {
    this.row = row;
    this.deadline = deadline;
  }

  /** Keeps {@code resource} to close when the check ends, and returns it. */
  synchronized <T extends AutoCloseable> T keep(T resource) {
    opened.push(resource);
    return resource;
  }

  /** Runs {@code task} on another thread of the pool, cancelled when the check ends. */
  <T> Future<T> background(Callable<T> task) {
    Future<T> future = row.context.pool.submit(task);
    synchronized (this) {
      background.add(future);
    }
    return future;
  }

  /** Returns how many nanoseconds are left until the deadline, negative once it has passed. */
  long nanosLeft() {
    return deadline - System.nanoTime();
  }

  /** Returns the time left until the deadline as a timeout, zero once it has passed. */
  Timeout left() {
    return Timeout.of(Duration.ofNanos(Math.max(0, nanosLeft())));
  }

  /** Throws if the deadline has passed or the check was interrupted, saying how far it got. */
  void checkTime(String progress) throws CheckFailure {
    if (Thread.currentThread().isInterrupted()) {
      throw new CheckFailure("interrupted: " + progress);
    }
    if (nanosLeft() <= 0) {
      throw new CheckFailure("timed out: " + progress);
    }
  }

  /** Waits for any of {@code events} until the deadline; a poll may end early with none. */
  Set<SocketEvent> await(IpcSocket socket, Set<SocketEvent> events, String what)
      throws IpcException, CheckFailure {
    while (true) {
      Set<SocketEvent> ready = socket.poll(events, left());
      if (!ready.isEmpty()) {
        return ready;
      }
      checkTime("no " + events + " while waiting for " + what);
    }
  }

  /** Returns a connected pair of the row's kind, kept for closing. */
  Pair pair() throws Exception {
    StreamServer server = keep(row.listen());
    StreamSocket client = keep(row.connect(server));
    await(server, EnumSet.of(CONNECTION_AVAILABLE), "the connection to accept");
    StreamSocket accepted = keep(server.acceptConnection());
    Set<SocketEvent> ended =
        await(client, EnumSet.of(CONNECTION_SUCCEEDED, CONNECTION_FAILED), "the client to connect");
    if (!ended.contains(CONNECTION_SUCCEEDED)) {
      throw new CheckFailure("the client's connection failed although the server accepted it");
    }
    return new Pair(server, client, accepted);
  }

  /** Cancels the check's background tasks and closes what it opened, newest first. */
  @Override
  public synchronized void close() {
    for (Future<?> future : background) {
      future.cancel(true);
    }
    while (!opened.isEmpty()) {
      try {
        opened.pop().close();
      } catch (Exception e) {
        // Sockets and pollers throw nothing on close; nothing else is kept.
      }
    }
  }
}
