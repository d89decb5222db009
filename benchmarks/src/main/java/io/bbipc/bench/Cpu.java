package io.bbipc.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time of the JVM's Java threads (both ends' threads, event loops, the harness), from {@link
 * ThreadMXBean}: nanosecond resolution, where the process total the OS bean reports is counted in
 * 10 ms clock ticks on Linux. JIT and GC threads are not Java threads and not counted.
 */
final class Cpu {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private Cpu() {}

  /** Per live thread, its CPU time so far. */
  static Map<Long, Long> snapshot() {
    Map<Long, Long> m = new HashMap<>();
    if (!THREADS.isThreadCpuTimeSupported()) {
      return m;
    }
    for (long id : THREADS.getAllThreadIds()) {
      long t = THREADS.getThreadCpuTime(id);
      if (t >= 0) {
        m.put(id, t);
      }
    }
    return m;
  }

  /**
   * CPU time used since {@code before} by threads alive now; one that started since counts from
   * zero.
   */
  static long since(Map<Long, Long> before) {
    long sum = 0;
    for (Map.Entry<Long, Long> e : snapshot().entrySet()) {
      sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
    }
    return sum;
  }
}
