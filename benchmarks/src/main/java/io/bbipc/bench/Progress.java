package io.bbipc.bench;

import java.io.PrintStream;
import java.util.Locale;

/** One line per measurement on stderr, so a long run shows where it is and a stall shows where. */
final class Progress {
  private final PrintStream out;
  private final String prefix;
  private final long started = System.nanoTime();
  private long stepStarted;

  Progress(PrintStream out, String prefix) {
    this.out = out;
    this.prefix = prefix;
  }

  void start(String what) {
    stepStarted = System.nanoTime();
    out.printf(Locale.ROOT, "%s[%6.1f s] %s ... ", prefix, (stepStarted - started) / 1e9, what);
    out.flush();
  }

  void done(String result) {
    out.printf(Locale.ROOT, "%s (%.1f s)%n", result, (System.nanoTime() - stepStarted) / 1e9);
    out.flush();
  }

  void failed(Throwable e) {
    out.printf(Locale.ROOT, "FAILED: %s%n", Results.describe(e));
    out.flush();
  }

  void note(String line) {
    out.printf(Locale.ROOT, "%s[%6.1f s] %s%n", prefix, (System.nanoTime() - started) / 1e9, line);
    out.flush();
  }
}
