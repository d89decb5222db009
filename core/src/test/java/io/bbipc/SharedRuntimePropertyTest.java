package io.bbipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bad {@code bbipc.transport} makes {@link Ipc#shared()} and every {@link BasicBinaryIpc}
 * function throw {@link IllegalArgumentException} on every call, and a corrected property works on
 * the next one. Run in a fresh JVM, since this one's shared runtime may already be made.
 */
class SharedRuntimePropertyTest {
  @TempDir Path dir;

  /** The child: tries each step and prints one line per outcome, "step: outcome". */
  public static final class Child {
    private Child() {}

    private static String outcome(Callable<?> call) {
      try {
        Object result = call.call();
        if (result instanceof AutoCloseable) {
          ((AutoCloseable) result).close();
        }
        return "ok " + result;
      } catch (Throwable t) {
        return t.getClass().getName()
            + " naming the value: "
            + String.valueOf(t.getMessage()).contains(System.getProperty("bbipc.transport"));
      }
    }

    private static void step(String name, Callable<?> call) {
      System.out.println(name + ": " + outcome(call));
    }

    public static void main(String[] args) throws Exception {
      for (String bad : new String[] {"bogus", args[0]}) {
        System.setProperty("bbipc.transport", bad);
        step(bad + " shared", Ipc::shared);
        step(bad + " shared again", Ipc::shared);
        step(bad + " makePoller", BasicBinaryIpc::makePoller);
        step(
            bad + " makeIpv4TcpServer",
            () -> BasicBinaryIpc.makeIpv4TcpServer(BasicBinaryIpc.IPV4_LOOPBACK, 0));
      }
      System.setProperty("bbipc.transport", "nio");
      // first use from many threads at once: all get the one runtime
      ExecutorService pool =
          Executors.newFixedThreadPool(
              8,
              r -> {
                Thread t = new Thread(r);
                t.setDaemon(true);
                return t;
              });
      List<Future<Ipc>> all = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        all.add(pool.submit(Ipc::shared));
      }
      Ipc first = all.get(0).get(10, TimeUnit.SECONDS);
      boolean same = true;
      for (Future<Ipc> f : all) {
        same &= f.get(10, TimeUnit.SECONDS) == first;
      }
      pool.shutdown();
      System.out.println("nio shared: " + first.transportName() + ", one instance: " + same);
      step(
          "nio makeIpv4TcpServer",
          () -> BasicBinaryIpc.makeIpv4TcpServer(BasicBinaryIpc.IPV4_LOOPBACK, 0).port() > 0);
      System.setProperty("bbipc.transport", "bogus");
      System.out.println("bogus after nio: " + (Ipc.shared() == first));
    }
  }

  @Test
  void aBadTransportPropertyIsAnIllegalArgumentOnEveryCallAndAGoodOneWorksNext() throws Exception {
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    // kqueue is unknown (core alone) or unavailable (Linux); on macOS and the BSDs, name one that
    // is unavailable there
    String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
    String unavailable = os.contains("mac") || os.contains("bsd") ? "epoll" : "kqueue";
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "-Xmx128m",
                "--enable-native-access=ALL-UNNAMED",
                Child.class.getName(),
                unavailable)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .redirectInput(
                ProcessBuilder.Redirect.from(
                    new java.io.File(
                        System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null")))
            .start();
    try {
      if (!child.waitFor(60, TimeUnit.SECONDS)) {
        fail(
            "the child JVM did not finish within 60 s; its output so far: "
                + read(out)
                + read(err));
      }
    } finally {
      child.destroyForcibly();
    }
    List<String> expected = new ArrayList<>();
    for (String bad : List.of("bogus", unavailable)) {
      for (String step : List.of("shared", "shared again", "makePoller", "makeIpv4TcpServer")) {
        expected.add(
            bad + " " + step + ": java.lang.IllegalArgumentException naming the value: true");
      }
    }
    expected.add("nio shared: nio, one instance: true");
    expected.add("nio makeIpv4TcpServer: ok true");
    expected.add("bogus after nio: true");
    assertEquals(
        String.join("\n", expected),
        read(out).strip(),
        "the child's outcomes (exit " + child.exitValue() + ", stderr: " + read(err) + ")");
    assertEquals(0, child.exitValue(), read(err));
  }

  private static String read(Path p) throws IOException {
    return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
  }
}
