package io.bbipc.bench;

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
 * JMH benchmark: the time to stream {@link #bytes} in 64 KiB writes one way over one connection,
 * each operation a whole transfer ({@link Mode#SingleShotTime}), so the score converts straight to
 * GiB/s. {@code Report} sets the parameters; JMH needs this class and its fields public.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ThroughputBench {
  /**
   * The system: {@code jdk}, {@code bbipc-sync}, {@code bbipc-sync-caller} (each end on a
   * caller-driven runtime owned by a thread of its own), {@code bbipc-async} or {@code netty}.
   */
  @Param({"bbipc-sync"})
  public String system;

  /**
   * The bbipc or Netty transport: {@code nio}, {@code epoll}, {@code io_uring}; ignored by the JDK.
   */
  @Param({"nio"})
  public String transport;

  /** {@code tcp} (loopback) or {@code local} (a socket file in a temporary directory). */
  @Param({"tcp"})
  public String family;

  /** Bytes per transfer: 1 GiB in the full run. */
  @Param({"1073741824"})
  public long bytes;

  private Transfer transfer;

  /** Made by JMH. */
  public ThroughputBench() {}

  /**
   * Opens the connection, once per fork.
   *
   * @throws Exception if it cannot connect
   */
  @Setup(Level.Trial)
  public void open() throws Exception {
    transfer = Transfer.open(Sys.parse(system), transport, Family.parse(family));
  }

  /**
   * Streams {@link #bytes} and returns once the receiver has all of them.
   *
   * @throws Exception if the transfer fails or stalls
   */
  @Benchmark
  public void stream() throws Exception {
    transfer.transfer(bytes);
  }

  /**
   * Closes the connection.
   *
   * @throws Exception if closing fails
   */
  @TearDown(Level.Trial)
  public void close() throws Exception {
    if (transfer != null) {
      transfer.close();
    }
  }
}
