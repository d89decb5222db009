package io.bbipc.reliability;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_FAILED;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv4TcpStream;
import io.bbipc.LocalServer;
import io.bbipc.LocalStream;
import io.bbipc.NoLocalServerException;
import io.bbipc.Poller;
import io.bbipc.ServerOptions;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.PerFixture;
import io.bbipc.conformance.Streams;
import io.netty.util.ResourceLeakDetector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue item 7: leaks. Per transport: 10,000 connect/accept/write/close cycles, 1,000 refused TCP
 * connects and 1,000 failed local connects leave the open fd count at its baseline (within 2) and
 * Netty's leak detector, at PARANOID with its reports captured, reports nothing. After {@code
 * Ipc.close()} no thread of that runtime and no socket file remain.
 */
public class LeakReliabilityTest {
  private static final String SCENARIO = "7 leaks";

  /** Connections in flight at once in the cycle loop. */
  private static final int BATCH = 8;

  @TempDir Path dir;

  static List<Fixture> perTransport() {
    return Fixture.sameTransport();
  }

  /** Runs {@code body} at PARANOID with leak reports captured; fails on any leak it caused. */
  private static void withoutLeaks(Fixture f, String what, ThrowingRunnable body) throws Exception {
    ResourceLeakDetector.Level before = NettyLog.paranoid();
    try (NettyLog log = NettyLog.capture()) {
      // leaks of earlier tests in this JVM are reported now, and not blamed on this one
      NettyLog.provokeLeakReports();
      int earlier = log.leaks().size();
      log.clear();
      NettyLog.forgetReportedLeaks();
      body.run();
      NettyLog.provokeLeakReports();
      List<String> leaks = log.leaks();
      Rel.figure(
          SCENARIO,
          f,
          what + ", leaks reported",
          leaks.size()
              + (earlier > 0
                  ? " (and " + earlier + " from earlier tests in this JVM, flushed before)"
                  : ""));
      assertEquals(List.of(), leaks, what + ": Netty's leak detector reported leaks");
    } finally {
      ResourceLeakDetector.setLevel(before);
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @PerFixture
  @MethodSource("perTransport")
  void tenThousandCyclesLeaveNoFdAndNoLeak(Fixture f) throws Exception {
    Rel.assumeFdCounting();
    int cycles = 10_000;
    withoutLeaks(
        f,
        cycles + " connect/accept/write/close cycles",
        () -> {
          try (StreamServer server = f.makeServer(dir)) {
            cycles(f, server, 200); // warm-up: whatever the first cycles load for good
            int baseline = Rel.settledFds();
            long started = System.nanoTime();
            cycles(f, server, cycles);
            long elapsed = System.nanoTime() - started;
            int after = Rel.awaitFdsAtMost(baseline, 3);
            Rel.figure(
                SCENARIO,
                f,
                cycles + " connect/accept/write/close cycles, fds before / after",
                baseline + " / " + after + " (" + Rel.ms(elapsed / cycles) + " per cycle)");
            assertTrue(
                Math.abs(after - baseline) <= 2,
                "open fds: " + baseline + " before, " + after + " after");
          }
        });
  }

  /**
   * {@code n} cycles, {@link #BATCH} connections at a time: connect, accept, 64 bytes each way,
   * close.
   */
  private static void cycles(Fixture f, StreamServer server, int n) throws IpcException {
    byte[] out = new byte[64];
    byte[] in = new byte[128];
    List<StreamSocket> clients = new ArrayList<>();
    List<StreamSocket> accepted = new ArrayList<>();
    for (int done = 0; done < n; ) {
      int batch = Math.min(BATCH, n - done);
      try {
        for (int i = 0; i < batch; i++) {
          clients.add(f.connect(server));
        }
        for (int i = 0; i < batch; i++) {
          assertTrue(server.poll(CONNECTION_AVAILABLE, Fixture.WAIT), "no connection to accept");
          accepted.add(server.acceptConnection());
        }
        for (int i = 0; i < batch; i++) {
          assertTrue(
              clients.get(i).poll(CONNECTION_SUCCEEDED, Fixture.WAIT),
              "the client did not connect");
          assertEquals(out.length, clients.get(i).writeToStream(out));
          assertEquals(out.length, accepted.get(i).writeToStream(out));
        }
        for (int i = 0; i < batch; i++) {
          readExactly(accepted.get(i), in, out.length);
          readExactly(clients.get(i), in, out.length);
        }
      } finally {
        for (StreamSocket s : clients) {
          s.close();
        }
        for (StreamSocket s : accepted) {
          s.close();
        }
        clients.clear();
        accepted.clear();
      }
      done += batch;
    }
  }

  private static void readExactly(StreamSocket s, byte[] buf, int n) throws IpcException {
    int got = 0;
    long deadline = Streams.deadline(10);
    while (got < n) {
      int k = s.readFromStream(buf, got, buf.length);
      got += k;
      if (k == 0) {
        Streams.checkDeadline(deadline, "reading " + n + " bytes");
        s.poll(DATA_AVAILABLE, Timeout.seconds(1));
      }
    }
    assertEquals(n, got);
  }

  @PerFixture
  @MethodSource("perTransport")
  void aThousandFailedConnectsLeaveNoFdAndNoLeak(Fixture f) throws Exception {
    Rel.assumeFdCounting();
    int n = 1000;
    Ipc ipc = f.clientIpc();
    if (f.kind() == Fixture.Kind.TCP) {
      int port = ConnectFailureReliabilityTest.justClosedPort();
      withoutLeaks(
          f,
          n + " refused TCP connects",
          () -> assertFdsComeBack(f, n + " refused TCP connects", k -> refused(ipc, port, k), n));
    } else {
      Path stale = dir.resolve("stale.sock");
      f.serverIpc().makeLocalServer(stale, ServerOptions.defaults().deleteOnClose(false)).close();
      Path missing = dir.resolve("missing.sock");
      withoutLeaks(
          f,
          n + " failed local connects",
          () ->
              assertFdsComeBack(
                  f,
                  n + " failed local connects (stale socket file, missing path)",
                  k -> failedLocal(ipc, stale, missing, k),
                  n));
    }
  }

  /** Fails {@code n} connects. */
  private interface Failures {
    void fail(int n) throws Exception;
  }

  /**
   * After 20 failed connects to warm up, {@code n} more leave the fd count within 2 of what it was
   * before them.
   */
  private static void assertFdsComeBack(Fixture f, String what, Failures failures, int n)
      throws Exception {
    failures.fail(20);
    int baseline = Rel.settledFds();
    failures.fail(n);
    int after = Rel.awaitFdsAtMost(baseline, 3);
    Rel.figure(SCENARIO, f, what + ", fds before / after", baseline + " / " + after);
    assertTrue(
        Math.abs(after - baseline) <= 2, "open fds: " + baseline + " before, " + after + " after");
  }

  private static void refused(Ipc ipc, int port, int n) throws IpcException {
    for (int i = 0; i < n; i++) {
      try (Ipv4TcpStream s = ipc.connectToIpv4TcpServer("127.0.0.1", port)) {
        assertTrue(
            s.poll(CONNECTION_FAILED, Fixture.WAIT),
            "a connect to the closed port " + port + " did not fail");
      }
    }
  }

  private static void failedLocal(Ipc ipc, Path stale, Path missing, int n) {
    for (int i = 0; i < n; i++) {
      // mostly the stale socket file, which makes a channel and a refused connect; some missing
      Path p = i % 10 == 9 ? missing : stale;
      assertThrows(NoLocalServerException.class, () -> ipc.connectToLocalServer(p).close());
    }
  }

  private static Set<Thread> threadsOf(String transport) {
    String prefix = "bbipc-" + transport + "-";
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith(prefix))
        .collect(Collectors.toSet());
  }

  @PerFixture
  @MethodSource("perTransport")
  void afterIpcCloseNoThreadAndNoSocketFileRemain(Fixture f) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        f.kind() == Fixture.Kind.TCP,
        "one runtime holds both kinds of socket: the TCP fixture of each transport runs this");
    String t = f.serverTransport();
    Set<Thread> before = threadsOf(t);
    Path files = Files.createDirectory(dir.resolve("files"));
    List<AutoCloseable> made = new ArrayList<>();
    Ipc ipc = Ipc.builder().transport(t).build();
    Ipv4TcpServer tcp = ipc.makeIpv4TcpServer("127.0.0.1", 0);
    LocalServer local = ipc.makeLocalServer(files.resolve("a.sock"));
    LocalServer kept = ipc.makeLocalServer(files.resolve("b.sock"));
    Ipv4TcpStream tcpClient = ipc.connectToIpv4TcpServer("127.0.0.1", tcp.port());
    LocalStream localClient = ipc.connectToLocalServer(local.localPathname());
    assertTrue(tcp.poll(CONNECTION_AVAILABLE, Fixture.WAIT));
    assertTrue(local.poll(CONNECTION_AVAILABLE, Fixture.WAIT));
    Ipv4TcpStream tcpAccepted = tcp.acceptConnection();
    LocalStream localAccepted = local.acceptConnection();
    assertTrue(tcpClient.poll(CONNECTION_SUCCEEDED, Fixture.WAIT));
    assertEquals(
        3, tcpClient.writeToStream(new byte[] {1, 2, 3}), "a write nobody reads before the close");
    Poller poller = ipc.makePoller();
    poller.monitorSocket(tcpAccepted, EnumSet.of(DATA_AVAILABLE));
    poller.monitorSocket(kept, EnumSet.of(CONNECTION_AVAILABLE));
    made.addAll(List.of(tcp, local, kept, tcpClient, localClient, tcpAccepted, localAccepted));
    Set<Thread> ours = threadsOf(t);
    ours.removeAll(before);
    long t0 = System.nanoTime();
    ipc.close();
    long closeTook = System.nanoTime() - t0;
    for (AutoCloseable s : made) {
      assertTrue(((io.bbipc.IpcSocket) s).isClosed(), s + " is still open after Ipc.close()");
    }
    assertTrue(poller.isClosed(), "the poller is still open after Ipc.close()");
    long deadline = Streams.deadline(10);
    Set<Thread> left;
    while (!(left = alive(ours)).isEmpty() && !Streams.passed(deadline)) {
      Rel.step();
    }
    List<Path> leftFiles;
    try (Stream<Path> list = Files.list(files)) {
      leftFiles = list.toList();
    }
    Rel.figure(
        SCENARIO,
        "TCP+LOCAL " + t,
        "after Ipc.close()",
        ours.size()
            + " runtime threads before, "
            + left.size()
            + " after; "
            + leftFiles.size()
            + " socket files left; close took "
            + Rel.ms(closeTook));
    assertEquals(Set.of(), left, "threads of the closed runtime still alive");
    assertEquals(List.of(), leftFiles, "socket files left after Ipc.close()");
    assertFalse(
        ours.isEmpty(), "found no thread of the runtime to watch (named bbipc-" + t + "-...)");
  }

  private static Set<Thread> alive(Set<Thread> threads) {
    return threads.stream().filter(Thread::isAlive).collect(Collectors.toSet());
  }
}
