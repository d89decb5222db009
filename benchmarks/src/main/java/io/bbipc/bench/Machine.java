package io.bbipc.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the figures were measured on. */
final class Machine {
  private Machine() {}

  static String cpuModel() {
    for (String line : lines("/proc/cpuinfo")) {
      if (line.startsWith("model name")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return System.getProperty("os.arch");
  }

  static int cpuinfoProcessors() {
    int n = 0;
    for (String line : lines("/proc/cpuinfo")) {
      if (line.startsWith("processor")) {
        n++;
      }
    }
    return n;
  }

  static String kernel() {
    List<String> l = lines("/proc/sys/kernel/osrelease");
    return System.getProperty("os.name")
        + " "
        + (l.isEmpty() ? System.getProperty("os.version") : l.get(0).trim());
  }

  static String jdk() {
    return System.getProperty("java.runtime.name")
        + " "
        + System.getProperty("java.runtime.version")
        + " ("
        + System.getProperty("java.vm.name")
        + ", "
        + System.getProperty("java.vendor")
        + ")";
  }

  /** The 1-, 5- and 15-minute load averages. */
  static String load() {
    List<String> l = lines("/proc/loadavg");
    if (l.isEmpty()) {
      return "unknown";
    }
    String[] f = l.get(0).split(" ");
    return f[0] + " / " + f[1] + " / " + f[2];
  }

  static double load1() {
    List<String> l = lines("/proc/loadavg");
    return l.isEmpty() ? Double.NaN : Double.parseDouble(l.get(0).split(" ")[0]);
  }

  static String memTotal() {
    for (String line : lines("/proc/meminfo")) {
      if (line.startsWith("MemTotal:")) {
        long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
        return String.format("%.1f GiB", kib / 1024.0 / 1024.0);
      }
    }
    return "unknown";
  }

  /** The soft and hard limits on open files, as {@code ulimit -n} / {@code -Hn} report them. */
  static long[] openFileLimits() {
    for (String line : lines("/proc/self/limits")) {
      if (line.startsWith("Max open files")) {
        String[] f = line.substring("Max open files".length()).trim().split("\\s+");
        return new long[] {parseLimit(f[0]), parseLimit(f[1])};
      }
    }
    return new long[] {-1, -1};
  }

  private static long parseLimit(String s) {
    return s.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(s);
  }

  static List<String> lines(String file) {
    try {
      return Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return new ArrayList<>();
    }
  }

  /**
   * CPU ticks (USER_HZ) spent busy in user, nice and system mode on all CPUs since boot, from the
   * first line of /proc/stat; -1 where there is none. Interrupt time is left out: loopback traffic
   * is processed in softirqs charged to no process, ours included.
   */
  static long busyTicks() {
    List<String> l = lines("/proc/stat");
    if (l.isEmpty() || !l.get(0).startsWith("cpu ")) {
      return -1;
    }
    String[] f = l.get(0).trim().split("\\s+");
    return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]);
  }

  /**
   * CPU ticks this process and its reaped children (the pinned pass, JMH forks, peer processes)
   * have used: utime + stime + cutime + cstime from /proc/self/stat; -1 where there is none.
   */
  static long ownTicks() {
    List<String> l = lines("/proc/self/stat");
    if (l.isEmpty()) {
      return -1;
    }
    String s = l.get(0);
    // the command name (field 2) may hold spaces; fields after its closing parenthesis are plain
    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
    // f[0] is field 3 (state), so utime (field 14) is f[11]
    return Long.parseLong(f[11])
        + Long.parseLong(f[12])
        + Long.parseLong(f[13])
        + Long.parseLong(f[14]);
  }

  /**
   * The git commit of the working directory, and whether files there differ from it, so a figure
   * can be traced to the code measured; "unknown" outside a git checkout.
   */
  static String gitCommit() {
    String head = run("git", "rev-parse", "--short=12", "HEAD");
    if (head == null || head.isBlank()) {
      return "unknown (not run from a git checkout)";
    }
    String dirty = run("git", "status", "--porcelain", "--untracked-files=no");
    return head.trim()
        + (dirty == null || dirty.isBlank() ? "" : " with uncommitted changes to tracked files");
  }

  private static String run(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return p.waitFor() == 0 ? out : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The path of {@code taskset} (util-linux), or null. */
  static Path taskset() {
    return executable("taskset");
  }

  /** The path of an executable found on the PATH, or null. */
  static Path executable(String name) {
    String path = System.getenv("PATH");
    for (String dir : (path == null ? "/usr/bin:/bin" : path).split(":")) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}
