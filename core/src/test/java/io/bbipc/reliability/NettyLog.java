package io.bbipc.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.bbipc.conformance.Streams;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Captures what Netty logs at WARNING and above while open: leak reports of its {@link
 * ResourceLeakDetector} and exceptions that reach the end of a pipeline.
 *
 * <p>Netty logs through java.util.logging when no SLF4J or Log4J is on the class path; {@link
 * #capture()} checks that, and once per JVM proves the path end to end with a deliberate leak of a
 * private resource type (kept off the console).
 */
final class NettyLog implements AutoCloseable {
  /** Held strongly: java.util.logging forgets loggers nobody references, with their handlers. */
  private static final Logger NETTY = Logger.getLogger("io.netty");

  private static final String PIPELINE = "io.netty.channel.DefaultChannelPipeline";
  private static volatile boolean canaryDone;

  private final List<LogRecord> records = new ArrayList<>();
  private final Handler handler =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
            synchronized (records) {
              records.add(r);
            }
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  private NettyLog() {}

  /** Starts capturing; fails if Netty does not log through java.util.logging. */
  static NettyLog capture() {
    if (!(InternalLoggerFactory.getDefaultFactory() instanceof JdkLoggerFactory)) {
      fail(
          "Netty logs through "
              + InternalLoggerFactory.getDefaultFactory()
              + ", not java.util.logging, so this suite cannot see its leak reports");
    }
    NettyLog log = new NettyLog();
    NETTY.addHandler(log.handler);
    if (!canaryDone) {
      log.canary();
      canaryDone = true;
    }
    return log;
  }

  /** Proves that a leak report reaches this handler: leaks a private resource on purpose. */
  private void canary() {
    boolean parents = NETTY.getUseParentHandlers();
    NETTY.setUseParentHandlers(false); // keep the deliberate report off the console
    try {
      ResourceLeakDetector<Canary> detector =
          ResourceLeakDetectorFactory.instance().newResourceLeakDetector(Canary.class, 1);
      ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
      try {
        leakOne(detector);
        long deadline = Streams.deadline(10);
        while (leaksOf("Canary").isEmpty() && !Streams.passed(deadline)) {
          Rel.gc();
          Canary probe = new Canary();
          ResourceLeakTracker<Canary> t = detector.track(probe);
          if (t != null) {
            t.close(probe);
          }
        }
      } finally {
        ResourceLeakDetector.setLevel(level);
      }
      assertTrue(
          !leaksOf("Canary").isEmpty(),
          "a deliberate leak was not reported through "
              + "java.util.logging: this suite could not see Netty's leak reports");
      synchronized (records) {
        records.clear();
      }
    } finally {
      NETTY.setUseParentHandlers(parents);
    }
  }

  private static void leakOne(ResourceLeakDetector<Canary> detector) {
    detector.track(new Canary()); // never closed: its referent becomes garbage at once
  }

  /** A resource type of this suite's own, so its deliberate leak is never mistaken for bbipc's. */
  static final class Canary {}

  /** Everything captured so far, as text. */
  List<String> all() {
    List<String> out = new ArrayList<>();
    synchronized (records) {
      for (LogRecord r : records) {
        out.add(describe(r));
      }
    }
    return out;
  }

  /** Leak reports (the detector logs "LEAK: ..."). */
  List<String> leaks() {
    return leaksOf("");
  }

  private List<String> leaksOf(String type) {
    List<String> out = new ArrayList<>();
    synchronized (records) {
      for (LogRecord r : records) {
        String m = String.valueOf(r.getMessage());
        if (m.contains("LEAK:") && m.contains(type)) {
          out.add(describe(r));
        }
      }
    }
    return out;
  }

  /** What a pipeline logged: an exception reaching its tail, or a message nobody handled. */
  List<String> pipelineWarnings() {
    List<String> out = new ArrayList<>();
    synchronized (records) {
      for (LogRecord r : records) {
        if (PIPELINE.equals(r.getLoggerName())) {
          out.add(describe(r));
        }
      }
    }
    return out;
  }

  /** Records mentioning a reference count error. */
  List<String> referenceCountErrors() {
    List<String> out = new ArrayList<>();
    for (String s : all()) {
      if (s.contains("IllegalReferenceCount") || s.contains("refCnt")) {
        out.add(s);
      }
    }
    return out;
  }

  void clear() {
    synchronized (records) {
      records.clear();
    }
  }

  private static String describe(LogRecord r) {
    String s = r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage();
    if (r.getThrown() != null) {
      s += " / " + r.getThrown();
    }
    return s;
  }

  @Override
  public void close() {
    NETTY.removeHandler(handler);
  }

  // ---------------------------------------------------------------- leak detection

  /**
   * Makes the leak detector report whatever became garbage: a full GC, then allocations (the
   * detector reports on later allocations) from every allocator, released at once.
   */
  static void provokeLeakReports() {
    ByteBufAllocator[] allocators = {
      ByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT
    };
    for (int round = 0; round < 3; round++) {
      Rel.gc();
      for (ByteBufAllocator a : allocators) {
        for (int i = 0; i < 4; i++) {
          a.directBuffer(64).release();
          a.heapBuffer(64).release();
          a.ioBuffer(64).release();
        }
      }
    }
  }

  /**
   * Makes the ByteBuf leak detector forget the leaks it already reported in this JVM: it reports
   * each distinct trace once, so a leak an earlier test class already showed would pass unseen.
   *
   * @return false if Netty's internals are not where this looks (the test still runs)
   */
  static boolean forgetReportedLeaks() {
    try {
      Field detectorField =
          Class.forName("io.netty.buffer.AbstractByteBuf").getDeclaredField("leakDetector");
      detectorField.setAccessible(true);
      Object detector = detectorField.get(null);
      Field reported = ResourceLeakDetector.class.getDeclaredField("reportedLeaks");
      reported.setAccessible(true);
      ((Set<?>) reported.get(detector)).clear();
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      System.out.println("note: cannot reset the leak detector's reported set: " + e);
      return false;
    }
  }

  /** Runs {@code body} with the leak detector at PARANOID (every buffer tracked), restoring it. */
  static ResourceLeakDetector.Level paranoid() {
    ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    return before;
  }
}
