package io.bbipc.reliability;

import static org.junit.jupiter.api.Assertions.fail;

import io.bbipc.conformance.Streams;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A JVM the test starts itself, running a main class of this package, and its output lines. */
final class Forked implements AutoCloseable {
  final Process process;
  final Path stderr;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final Thread reader;

  private Forked(Process process, Path stderr) {
    this.process = process;
    this.stderr = stderr;
    InputStream out = process.getInputStream();
    reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(out, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException ignored) {
                // the process is gone
              }
            },
            "forked-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** The command that runs {@code main} in a fresh JVM on {@code classPath}. */
  static List<String> command(
      String classPath, Class<?> main, List<String> jvmArgs, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(classPath);
    // a quick start matters more than peak speed for these short-lived peers
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:-UsePerfData");
    cmd.add("-Xmx256m");
    cmd.addAll(jvmArgs);
    cmd.add(main.getName());
    cmd.addAll(args);
    return cmd;
  }

  static Forked start(List<String> command, Path stderr) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectError(stderr.toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    return new Forked(pb.start(), stderr);
  }

  /** Waits for a line starting with {@code prefix}; fails with the child's stderr if none comes. */
  String await(String prefix, double seconds) throws InterruptedException {
    long deadline = Streams.deadline(seconds);
    while (true) {
      long left = deadline - System.nanoTime();
      String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
      if (line == null) {
        fail(
            "the forked JVM printed no \""
                + prefix
                + "\" line within "
                + seconds
                + " s (alive: "
                + process.isAlive()
                + "); its stderr: "
                + stderrText());
      }
      if (line.startsWith(prefix)) {
        return line;
      }
      checkLine(line);
    }
  }

  /** The next line if one is there, without waiting. */
  String poll() {
    String line = lines.poll();
    if (line != null) {
      checkLine(line);
    }
    return line;
  }

  /** All lines printed so far (for a child that has exited). */
  List<String> drain() throws InterruptedException {
    reader.join(TimeUnit.SECONDS.toMillis(10));
    List<String> out = new ArrayList<>();
    lines.drainTo(out);
    return out;
  }

  private void checkLine(String line) {
    if (line.startsWith("MISMATCH") || line.startsWith("ERROR")) {
      fail("the forked JVM reported: " + line + "; its stderr: " + stderrText());
    }
  }

  String stderrText() {
    try {
      String s = Files.exists(stderr) ? Files.readString(stderr) : "";
      return s.length() > 4000 ? s.substring(0, 4000) + "..." : s;
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /** Waits for the process to end, at most {@code seconds}; returns its exit code. */
  int waitFor(double seconds) throws InterruptedException {
    if (!process.waitFor((long) (seconds * 1000), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      fail("the forked JVM did not end within " + seconds + " s");
    }
    return process.exitValue();
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    process.getInputStream().close();
    process.getOutputStream().close();
    process.getErrorStream().close();
    reader.join(TimeUnit.SECONDS.toMillis(10));
  }
}
