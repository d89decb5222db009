package io.bbipc.reliability;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Watches bbipc's event loop threads (named {@code bbipc-<transport>-...}) while a test runs and
 * records every sample that finds one blocked: parked, waiting or sleeping (an idle loop waits in
 * its native poll, which the JVM reports as RUNNABLE), or stuck on a monitor for 50 samples in a
 * row (a moment of contention on a stream's inbound buffer is fine; a long one is not).
 */
final class EventLoopWatch implements AutoCloseable {
  private static final long INTERVAL_NANOS = TimeUnit.MICROSECONDS.toNanos(500);
  private static final int BLOCKED_SAMPLES = 50;

  private final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
  private final Thread sampler;
  private volatile boolean stop;
  private final List<String> violations = new ArrayList<>();
  private final Map<Long, Integer> blockedRuns = new HashMap<>();
  private long samples;
  private long blockedSamples;

  private EventLoopWatch() {
    sampler = new Thread(this::run, "reliability-event-loop-watch");
    sampler.setDaemon(true);
  }

  static EventLoopWatch start() {
    EventLoopWatch w = new EventLoopWatch();
    w.sampler.start();
    return w;
  }

  private void run() {
    long[] ids = new long[0];
    long refreshed = 0;
    while (!stop) {
      long now = System.nanoTime();
      if (now - refreshed > TimeUnit.MILLISECONDS.toNanos(50)) {
        ids = loopThreadIds();
        refreshed = now;
      }
      for (ThreadInfo ti : mx.getThreadInfo(ids, 16)) {
        if (ti != null) {
          check(ti);
        }
      }
      samples++;
      LockSupport.parkNanos(INTERVAL_NANOS);
    }
  }

  private long[] loopThreadIds() {
    List<Long> found = new ArrayList<>();
    for (ThreadInfo ti : mx.getThreadInfo(mx.getAllThreadIds(), 0)) {
      if (ti != null && ti.getThreadName().startsWith("bbipc-")) {
        found.add(ti.getThreadId());
      }
    }
    return found.stream().mapToLong(Long::longValue).toArray();
  }

  private void check(ThreadInfo ti) {
    Thread.State state = ti.getThreadState();
    if (state == Thread.State.BLOCKED) {
      blockedSamples++;
      int run = blockedRuns.merge(ti.getThreadId(), 1, Integer::sum);
      if (run == BLOCKED_SAMPLES) {
        record(
            ti,
            "blocked on "
                + ti.getLockName()
                + " held by "
                + ti.getLockOwnerName()
                + " for "
                + BLOCKED_SAMPLES
                + " samples in a row");
      }
      return;
    }
    blockedRuns.remove(ti.getThreadId());
    if (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) {
      StackTraceElement[] st = ti.getStackTrace();
      if (st.length == 0) {
        return;
      }
      // a thread that has left its run loop (the group is shutting down) may wait to terminate
      for (StackTraceElement e : st) {
        if (e.getMethodName().equals("cleanupAndTerminate")
            || e.getMethodName().equals("confirmShutdown")) {
          return;
        }
      }
      record(ti, state.toString());
    }
  }

  private void record(ThreadInfo ti, String what) {
    StringBuilder b = new StringBuilder(ti.getThreadName()).append(' ').append(what);
    for (StackTraceElement e : ti.getStackTrace()) {
      b.append("\n    at ").append(e);
    }
    synchronized (violations) {
      if (violations.size() < 20) {
        violations.add(b.toString());
      }
    }
  }

  /** Every blocked sample found, with its stack. */
  List<String> violations() {
    synchronized (violations) {
      return new ArrayList<>(violations);
    }
  }

  long samples() {
    return samples;
  }

  long blockedSamples() {
    return blockedSamples;
  }

  @Override
  public void close() throws InterruptedException {
    stop = true;
    sampler.join(TimeUnit.SECONDS.toMillis(10));
  }
}
