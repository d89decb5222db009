package io.bbipc.bench;

import io.bbipc.IpcException;
import io.bbipc.PollResult;
import io.bbipc.Poller;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH benchmark: one {@link Poller#waitForEvents} over {@link #monitored} accepted TCP streams,
 * each monitored for {@code DATA_AVAILABLE}, of which exactly one holds an unread byte. Events are
 * level-triggered, so that one stays ready and every call returns it. The peers of the connections
 * live in a child process ({@link IdleConnections}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PollerBench {
  /** A ready socket makes the call return at once; the timeout only bounds a stall. */
  private static final Timeout TIMEOUT = Timeout.seconds(10);

  /** The bbipc transport: {@code nio}, {@code epoll}, {@code io_uring}. */
  @Param({"nio"})
  public String transport;

  /** How many streams the poller monitors, one of them ready. */
  @Param({"10"})
  public int monitored;

  private IdleConnections connections;
  private Poller poller;

  /** Made by JMH. */
  public PollerBench() {}

  /**
   * Opens the connections and monitors them, once per fork, and checks one call finds exactly the
   * one ready stream.
   *
   * @throws Exception if the connections cannot be made
   */
  @Setup(Level.Trial)
  public void open() throws Exception {
    connections = IdleConnections.open(Sys.BBIPC_SYNC, transport, monitored, 1);
    poller = connections.ipc().makePoller();
    for (StreamSocket s : connections.bbipcStreams()) {
      poller.monitorSocket(s, java.util.EnumSet.of(SocketEvent.DATA_AVAILABLE));
    }
    List<PollResult> first = poller.waitForEvents(TIMEOUT);
    if (first.size() != 1) {
      throw new IOException(
          "expected 1 ready stream among " + monitored + ", waitForEvents gave " + first.size());
    }
  }

  /**
   * One call.
   *
   * @return the ready streams, for JMH to consume
   * @throws IpcException if the poller fails
   */
  @Benchmark
  public List<PollResult> waitForEvents() throws IpcException {
    List<PollResult> ready = poller.waitForEvents(TIMEOUT);
    if (ready.size() != 1) {
      throw new IllegalStateException(
          "waitForEvents gave " + ready.size() + " ready streams, not 1");
    }
    return ready;
  }

  /** Closes the poller, the connections and the child process. */
  @TearDown(Level.Trial)
  public void close() {
    if (poller != null) {
      poller.close();
    }
    if (connections != null) {
      connections.close();
    }
  }
}
