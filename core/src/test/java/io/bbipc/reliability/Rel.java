package io.bbipc.reliability;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.StreamSocket;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.Streams;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * What the reliability suite shares: its sizes, how it prints figures, fd counting, memory readings
 * and a reproducible byte stream.
 *
 * <p>Sizes: CI runs the small figure of each scenario; {@code -Dbbipc.reliability.full=true} runs
 * the sizes the issue names (1 GiB each way, 1,000 repetitions of 4 MiB, 10,000 runs).
 */
final class Rel {
  /** The system property that switches every scenario to its full size. */
  static final String FULL_PROPERTY = "bbipc.reliability.full";

  static final boolean FULL = Boolean.getBoolean(FULL_PROPERTY);

  /** Printed before every figure, so that {@code grep '^RELIABILITY|'} collects them. */
  static final String PREFIX = "RELIABILITY|";

  private static final Path FD_DIR = Path.of("/proc/self/fd");

  private Rel() {}

  static int size(int ci, int full) {
    return FULL ? full : ci;
  }

  static long size(long ci, long full) {
    return FULL ? full : ci;
  }

  /** Prints one figure: {@code RELIABILITY|scenario|where|name=value}. */
  static void figure(String scenario, Object where, String name, Object value) {
    System.out.println(PREFIX + scenario + "|" + where + "|" + name + "=" + value);
  }

  static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024.0));
  }

  static String kib(long bytes) {
    return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
  }

  // ---------------------------------------------------------------- deadlines

  /**
   * A wall-clock upper bound. It is asserted in the full pass ({@code
   * -Dbbipc.reliability.full=true}) only: on a busy 2-core machine any such bound flakes, so the
   * default build reports a time over it as a figure and goes on.
   */
  static void timedBound(long tookNanos, long boundNanos, String what) {
    if (FULL) {
      org.junit.jupiter.api.Assertions.assertTrue(
          tookNanos <= boundNanos, what + " took " + ms(tookNanos) + ", over " + ms(boundNanos));
    } else if (tookNanos > boundNanos) {
      figure(
          "timed bound (asserted in the full pass only)",
          what,
          "over " + ms(boundNanos),
          ms(tookNanos));
    }
  }

  /** One step of a bounded polling loop: a millisecond off the CPU. */
  static void step() {
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
  }

  // ---------------------------------------------------------------- fds

  static void assumeFdCounting() {
    Assumptions.assumeTrue(
        Files.isDirectory(FD_DIR),
        "cannot count open file descriptors: " + FD_DIR + " does not exist on this system");
  }

  /** The number of file descriptors this process has open (not counting the one used to look). */
  static int openFds() {
    try (Stream<Path> s = Files.list(FD_DIR)) {
      return (int) s.count() - 1;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Waits, up to {@code seconds}, until at most {@code max} fds are open; returns the last count.
   */
  static int awaitFdsAtMost(int max, double seconds) {
    long deadline = Streams.deadline(seconds);
    int n;
    while ((n = openFds()) > max && !Streams.passed(deadline)) {
      step();
    }
    return n;
  }

  /** A baseline fd count once whatever earlier tests closed is really gone (bounded wait). */
  static int settledFds() {
    int before = openFds();
    // closes are asynchronous: give the count a moment to stop falling, never more than 2 s
    long deadline = Streams.deadline(2);
    int low = before;
    int stable = 0;
    while (stable < 20 && !Streams.passed(deadline)) {
      step();
      int n = openFds();
      if (n < low) {
        low = n;
        stable = 0;
      } else {
        stable++;
      }
    }
    return low;
  }

  // ---------------------------------------------------------------- memory

  /** Direct memory Netty counts itself (-1 when it does not count). */
  static long nettyDirect() {
    return PlatformDependent.usedDirectMemory();
  }

  static long heapUsed() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * Milliseconds the JVM's collectors have spent so far. The few timed bounds the issue sets (100
   * ms) take out a stop-the-world pause that falls in the measured window: it is the JVM's time,
   * not bbipc's, and on a busy 2-core machine a young collection at PARANOID leak detection can
   * take that long.
   */
  static long gcMillis() {
    long total = 0;
    for (java.lang.management.GarbageCollectorMXBean gc :
        ManagementFactory.getGarbageCollectorMXBeans()) {
      total += Math.max(0, gc.getCollectionTime());
    }
    return total;
  }

  /** Runs a full GC and waits (bounded) until a weakly held object is cleared and enqueued. */
  static void gc() {
    ReferenceQueue<Object> queue = new ReferenceQueue<>();
    WeakReference<Object> canary = new WeakReference<>(new Object(), queue);
    long deadline = Streams.deadline(5);
    while (!Streams.passed(deadline)) {
      System.gc();
      try {
        if (queue.remove(50) != null) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    if (canary.get() != null) {
      System.out.println("note: a weak reference survived 5 s of System.gc()");
    }
  }

  // ---------------------------------------------------------------- connections

  /** A builder of the fixture's mode, or of a threaded runtime when there is no fixture. */
  static Ipc.Builder builder(Fixture f, String transport) {
    return f == null ? Ipc.builder().transport(transport) : f.builder(transport);
  }

  static Ipc runtime(Fixture f, String transport, int inboundLimit, int outboundLimit) {
    return builder(f, transport)
        .inboundBufferLimit(inboundLimit)
        .outboundBufferLimit(outboundLimit)
        .build();
  }

  /**
   * A runtime whose channels allocate from {@code allocator} (set through the public pipeline hook
   * before any byte moves), so that a counting allocator sees every buffer bbipc holds.
   */
  static Ipc runtime(
      Fixture f,
      String transport,
      int inboundLimit,
      int outboundLimit,
      ByteBufAllocator allocator) {
    return builder(f, transport)
        .inboundBufferLimit(inboundLimit)
        .outboundBufferLimit(outboundLimit)
        .pipeline(p -> p.channel().config().setAllocator(allocator))
        .build();
  }

  /**
   * An allocator that counts exactly: unpooled, so its metric is the capacity of the buffers alive
   * now, not chunks a pool reserved earlier.
   */
  static io.netty.buffer.UnpooledByteBufAllocator countingAllocator() {
    return new io.netty.buffer.UnpooledByteBufAllocator(true);
  }

  /**
   * Writes the pattern's bytes, {@code chunk} at a time, until {@code s} takes none (its outbound
   * limit and the kernel's buffers are full), within 30 s; returns the count.
   */
  static long writeUntilFull(StreamSocket s, Pattern pattern, int chunk, String what)
      throws IpcException {
    long written = 0;
    long deadline = Streams.deadline(30);
    while (true) {
      int start = pattern.start(written);
      int n = s.writeToStream(pattern.bytes, start, start + chunk);
      written += n;
      if (n == 0) {
        return written;
      }
      Streams.checkDeadline(deadline, what);
    }
  }

  /** Bytes alive in a counting allocator's buffers, direct and heap. */
  static long held(io.netty.buffer.UnpooledByteBufAllocator a) {
    return a.metric().usedDirectMemory() + a.metric().usedHeapMemory();
  }

  // ---------------------------------------------------------------- a reproducible stream

  /**
   * An endless stream of random bytes with a prime period, so a slice of up to {@link #MAX_SLICE}
   * bytes at any offset is one contiguous array range.
   */
  static final class Pattern {
    static final int PERIOD = 1_048_573;
    static final int MAX_SLICE = 256 * 1024;
    final byte[] bytes;

    Pattern(long seed) {
      bytes = new byte[PERIOD + MAX_SLICE];
      byte[] head = new byte[PERIOD];
      new Random(seed).nextBytes(head);
      System.arraycopy(head, 0, bytes, 0, PERIOD);
      System.arraycopy(head, 0, bytes, PERIOD, MAX_SLICE);
    }

    /** The array index where the stream's byte at {@code offset} starts a slice. */
    int start(long offset) {
      return (int) (offset % PERIOD);
    }

    /** Whether {@code buf[from, from+n)} is the stream's bytes at {@code offset}. */
    boolean matches(long offset, byte[] buf, int from, int n) {
      int done = 0;
      while (done < n) {
        int len = Math.min(n - done, MAX_SLICE);
        int s = start(offset + done);
        if (Arrays.mismatch(bytes, s, s + len, buf, from + done, from + done + len) >= 0) {
          return false;
        }
        done += len;
      }
      return true;
    }
  }
}
