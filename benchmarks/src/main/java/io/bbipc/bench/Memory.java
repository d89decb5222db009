package io.bbipc.bench;

import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes per idle connection: heap and direct memory after full collections, with the accepted ends
 * in this JVM and the connecting ends in a {@link PeerProcess}, over loopback TCP.
 */
final class Memory {
  private Memory() {}

  /** Heap in use after collections, direct buffer bytes, and resident set size. */
  record Snapshot(long heap, long jdkDirect, long nettyDirect, long rss) {
    long direct() {
      return jdkDirect + Math.max(0, nettyDirect);
    }

    static Snapshot take(boolean quick) {
      for (int i = 0; i < (quick ? 1 : 3); i++) {
        System.gc();
        try {
          Thread.sleep(quick ? 10 : 100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      return new Snapshot(
          heap, Memory.jdkDirect(), PlatformDependent.usedDirectMemory(), Memory.rss());
    }
  }

  /**
   * Direct ByteBuffers the JDK counts (what {@code ByteBuffer.allocateDirect} reserved, which is
   * where Netty's direct memory goes on JDK 17 unless it was allowed to bypass the cleaner).
   */
  static long jdkDirect() {
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        return pool.getMemoryUsed();
      }
    }
    return 0;
  }

  static long rss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux: the RSS column stays empty
    }
    return -1;
  }

  /** How direct memory is counted in this JVM, for the report. */
  static String directSource() {
    long netty = PlatformDependent.usedDirectMemory();
    return "JDK BufferPoolMXBean \"direct\" (every ByteBuffer.allocateDirect)"
        + (netty >= 0
            ? " plus Netty's own counter PlatformDependent.usedDirectMemory() (cleaner-less buffers)"
            : "; Netty's own counter PlatformDependent.usedDirectMemory() is off here (-1): Netty allocates "
                + "its direct buffers through the JDK, so the MXBean sees them")
        + "; allocator "
        + io.netty.buffer.ByteBufAllocator.DEFAULT.getClass().getSimpleName();
  }

  static List<Results.MemoryRow> runAll(
      Settings settings, List<String> transports, Progress progress) {
    List<Results.MemoryRow> rows = new ArrayList<>();
    for (String t : transports) {
      rows.add(one(Sys.BBIPC_SYNC, t, settings.idleConnections, settings.smoke, progress));
    }
    for (String t : transports) {
      rows.add(one(Sys.NETTY, t, settings.idleConnections, settings.smoke, progress));
    }
    rows.add(one(Sys.JDK, Sys.NO_TRANSPORT, settings.idleConnections, settings.smoke, progress));
    return rows;
  }

  static Results.MemoryRow one(Sys sys, String transport, int n, boolean quick, Progress progress) {
    progress.start("memory " + memoryLabel(sys, transport) + ", " + n + " idle connections");
    try (IdleConnections c = IdleConnections.listen(sys, transport)) {
      Snapshot before = Snapshot.take(quick);
      c.connect(n, 0);
      if (c.size() != n) {
        throw new IOException("holding " + c.size() + " connections, not " + n);
      }
      Snapshot after = Snapshot.take(quick);
      double heap = (double) (after.heap() - before.heap()) / n;
      double direct = (double) (after.direct() - before.direct()) / n;
      double rss = before.rss() < 0 ? Double.NaN : (double) (after.rss() - before.rss()) / n;
      progress.done(String.format("%.0f B heap + %.0f B direct per connection", heap, direct));
      return new Results.MemoryRow(sys, transport, n, heap, direct, rss, null);
    } catch (Exception | AssertionError e) {
      progress.failed(e);
      return new Results.MemoryRow(
          sys, transport, n, Double.NaN, Double.NaN, Double.NaN, Results.describe(e));
    }
  }

  static String memoryLabel(Sys sys, String transport) {
    return sys == Sys.BBIPC_SYNC ? "bbipc · " + transport : sys.label(transport);
  }
}
