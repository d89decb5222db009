package io.bbipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ten thousand virtual threads, each echoing over its own local stream with the synchronous facade,
 * finish without a virtual thread ever parking while pinned to its carrier.
 *
 * <p>The echo server runs in a child JVM so that neither process needs more than 10,000 file
 * descriptors (this machine allows 20,000 a process). Pinning is read from JFR's {@code
 * jdk.VirtualThreadPinned} events at threshold 0, which JDK 21 and later emit whenever a virtual
 * thread parks while pinned; {@code -Djdk.tracePinnedThreads} was removed in JDK 24.
 */
class VirtualThreadTest {
  private static final int THREADS = Integer.getInteger("bbipc.vt.threads", 10_000);
  private static final int MESSAGE = 64;

  @TempDir Path dir;

  private static void assumeVirtualThreads() {
    Assumptions.assumeTrue(
        Runtime.version().feature() >= 21,
        "virtual threads need JDK 21+; this is JDK " + Runtime.version());
  }

  @Test
  void tenThousandVirtualThreadsEchoWithoutPinning() throws Exception {
    assumeVirtualThreads();
    Path socket = dir.resolve("vt.sock");
    Process server =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                EchoServer.class.getName(),
                socket.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("ready", out.readLine(), "the echo server did not start");
      // One echo on a platform thread first: the JVM pins a virtual thread that waits for a
      // class another thread is initialising, and that first-use cost is the JDK's, not bbipc's.
      echoOnce(socket, -1, new Semaphore(1));
      Path jfr = dir.resolve("pinned.jfr");
      AtomicInteger echoed = new AtomicInteger();
      long started = System.nanoTime();
      try (Recording recording = new Recording()) {
        recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
        recording.start();
        // all 10,000 run at once; at most 500 have a stream open, within the listen backlog
        Semaphore connecting = new Semaphore(500);
        ExecutorService vts = newVirtualThreadPerTaskExecutor();
        try {
          List<Future<?>> done = new ArrayList<>();
          for (int i = 0; i < THREADS; i++) {
            int id = i;
            done.add(
                vts.submit(
                    () -> {
                      echoOnce(socket, id, connecting);
                      echoed.incrementAndGet();
                      return null;
                    }));
          }
          for (Future<?> f : done) {
            f.get(180, TimeUnit.SECONDS);
          }
        } finally {
          vts.shutdownNow();
          vts.awaitTermination(30, TimeUnit.SECONDS);
        }
        recording.stop();
        recording.dump(jfr);
      }
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      List<String> pinned = new ArrayList<>();
      int classLoading = 0;
      for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
        if (isClassLoading(e)) {
          classLoading++;
        } else {
          pinned.add(e.toString());
        }
      }
      System.out.println(
          "VIRTUAL-THREADS|"
              + echoed.get()
              + " virtual threads echoed "
              + MESSAGE
              + " bytes each in "
              + millis
              + " ms on JDK "
              + Runtime.version().feature()
              + ", transport "
              + Ipc.shared().transportName()
              + "; jdk.VirtualThreadPinned events: "
              + pinned.size()
              + " (and "
              + classLoading
              + " while the JVM loaded a class lazily)");
      assertEquals(THREADS, echoed.get());
      assertTrue(
          pinned.isEmpty(),
          "virtual threads parked while pinned:\n"
              + String.join("\n", pinned.subList(0, Math.min(3, pinned.size()))));
    } finally {
      server.destroyForcibly();
      server.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aPollerServesManyStreamsFromOneVirtualThread() throws Exception {
    assumeVirtualThreads();
    Path socket = dir.resolve("poller.sock");
    Path jfr = dir.resolve("poller.jfr");
    try (Recording recording = new Recording()) {
      recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
      recording.start();
      LocalServer server =
          BasicBinaryIpc.makeLocalServer(socket, ServerOptions.defaults().backlog(512));
      Poller poller = BasicBinaryIpc.makePoller();
      ExecutorService vts = newVirtualThreadPerTaskExecutor();
      try {
        Future<?> serving =
            vts.submit(
                () -> {
                  EchoServer.serve(server, poller, () -> poller.isClosed());
                  return null;
                });
        List<LocalStream> clients = new ArrayList<>();
        try {
          for (int i = 0; i < 200; i++) {
            clients.add(BasicBinaryIpc.connectToLocalServer(socket));
          }
          for (int i = 0; i < clients.size(); i++) {
            LocalStream c = clients.get(i);
            assertTrue(
                c.poll(SocketEvent.CONNECTION_SUCCEEDED, Timeout.seconds(30)), "connect " + i);
            byte[] message = new byte[MESSAGE];
            new Random(i).nextBytes(message);
            assertEquals(MESSAGE, c.writeToStream(message));
          }
          for (int i = 0; i < clients.size(); i++) {
            byte[] expected = new byte[MESSAGE];
            new Random(i).nextBytes(expected);
            byte[] back = new byte[MESSAGE];
            int got = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (got < MESSAGE) {
              assertTrue(System.nanoTime() - deadline < 0, "echo " + i + " timed out");
              got += clients.get(i).readFromStream(back, got, MESSAGE);
              if (got < MESSAGE) {
                clients.get(i).poll(SocketEvent.DATA_AVAILABLE, Timeout.seconds(10));
              }
            }
            assertTrue(Arrays.equals(expected, back), "echo " + i + " differs");
          }
        } finally {
          clients.forEach(LocalStream::close);
          // closing the poller wakes the virtual thread in waitForEvents, which then ends
          poller.close();
        }
        serving.get(30, TimeUnit.SECONDS);
      } finally {
        vts.shutdownNow();
        vts.awaitTermination(30, TimeUnit.SECONDS);
        server.close();
      }
      recording.stop();
      recording.dump(jfr);
    }
    long pinned = RecordingFile.readAllEvents(jfr).stream().filter(e -> !isClassLoading(e)).count();
    System.out.println(
        "VIRTUAL-THREADS|a Poller on one virtual thread echoed 200 local streams; "
            + "jdk.VirtualThreadPinned events: "
            + pinned);
    assertEquals(0, pinned);
  }

  /**
   * A pin while the JVM loads or initialises a class (Netty loads some lazily, e.g. on a buffer
   * chunk's first release) is the JDK's: class loading runs in native frames that cannot unmount.
   */
  private static boolean isClassLoading(RecordedEvent e) {
    String reason = e.getString("pinnedReason");
    if (reason != null && reason.startsWith("Waited for initialization")) {
      return true;
    }
    if (e.getStackTrace() == null) {
      return false;
    }
    for (var frame : e.getStackTrace().getFrames()) {
      String m = frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
      if (m.equals("java.lang.ClassLoader.loadClass") || m.startsWith("java.lang.Class.forName")) {
        return true;
      }
    }
    return false;
  }

  private static void echoOnce(Path socket, int id, Semaphore inFlight) throws Exception {
    byte[] message = new byte[MESSAGE];
    new Random(id).nextBytes(message);
    // Held until the echo is back, when the server has surely accepted: connections waiting to
    // be accepted stay within the server's listen backlog, which Linux refuses past (EAGAIN).
    inFlight.acquire();
    try {
      echo(socket, id, message);
    } finally {
      inFlight.release();
    }
  }

  private static void echo(Path socket, int id, byte[] message) throws Exception {
    LocalStream stream = BasicBinaryIpc.connectToLocalServer(socket);
    assertTrue(stream.poll(SocketEvent.CONNECTION_SUCCEEDED, Timeout.seconds(60)), "connect " + id);
    try (stream) {
      int sent = 0;
      while (sent < MESSAGE) {
        sent += stream.writeToStream(message, sent, MESSAGE);
        if (sent < MESSAGE) {
          stream.poll(SocketEvent.READY_TO_WRITE, Timeout.seconds(10));
        }
      }
      byte[] back = new byte[MESSAGE];
      int got = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (got < MESSAGE) {
        assertTrue(System.nanoTime() - deadline < 0, "echo " + id + " timed out at " + got);
        got += stream.readFromStream(back, got, MESSAGE);
        if (got < MESSAGE) {
          stream.poll(SocketEvent.DATA_AVAILABLE, Timeout.seconds(10));
        }
      }
      assertTrue(Arrays.equals(message, back), "echo " + id + " differs");
    }
  }

  /**
   * JDK 21's {@code Executors.newVirtualThreadPerTaskExecutor()}, reached by reflection so this
   * compiles for Java 17.
   */
  private static ExecutorService newVirtualThreadPerTaskExecutor() throws Exception {
    return (ExecutorService)
        java.util.concurrent.Executors.class
            .getMethod("newVirtualThreadPerTaskExecutor")
            .invoke(null);
  }

  /** The child process: one poller thread echoing every connection until killed. */
  public static final class EchoServer {
    private EchoServer() {}

    public static void main(String[] args) throws Exception {
      Path path = Path.of(args[0]);
      try (LocalServer server =
              BasicBinaryIpc.makeLocalServer(path, ServerOptions.defaults().backlog(4096));
          Poller poller = BasicBinaryIpc.makePoller()) {
        System.out.println("ready");
        System.out.flush();
        serve(server, poller, () -> !Files.exists(path));
      }
    }

    /**
     * Echoes every connection of {@code server} until {@code stop} says so or the poller closes.
     */
    static void serve(LocalServer server, Poller poller, java.util.function.BooleanSupplier stop)
        throws Exception {
      poller.monitorSocket(server, java.util.EnumSet.of(SocketEvent.CONNECTION_AVAILABLE));
      byte[] buffer = new byte[MESSAGE * 4];
      while (!stop.getAsBoolean()) {
        List<PollResult> ready;
        try {
          ready = poller.waitForEvents(Timeout.seconds(1));
        } catch (IpcException closed) {
          if (poller.isClosed()) {
            return;
          }
          throw closed;
        }
        for (PollResult r : ready) {
          if (r.socket() == server) {
            while (server.connectionAvailable()) {
              poller.monitorSocket(
                  server.acceptConnection(),
                  java.util.EnumSet.of(
                      SocketEvent.DATA_AVAILABLE, SocketEvent.REMOTE_DISCONNECTED));
            }
            continue;
          }
          StreamSocket s = (StreamSocket) r.socket();
          int n = s.readFromStream(buffer);
          if (n > 0) {
            // 64-byte messages always fit the outbound buffer
            s.writeToStream(buffer, 0, n);
          } else if (s.remoteDisconnected()) {
            poller.unmonitorSocket(s);
            s.close();
          }
        }
      }
    }
  }
}
