package io.bbipc.testsuite;

import static io.bbipc.testsuite.CallerDrivenConformanceTest.callerDriven;
import static io.bbipc.testsuite.CallerDrivenConformanceTest.join;
import static io.bbipc.testsuite.CallerDrivenConformanceTest.onNewThread;
import static io.bbipc.testsuite.CallerDrivenConformanceTest.openFds;
import static io.bbipc.testsuite.Fixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.fail;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.PollResult;
import io.bbipc.Poller;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How a caller-driven runtime's sockets, pollers and the runtime itself are closed and released: by
 * another thread, by the owner inside a callback, and by nobody (an owner that ended). Each runtime
 * under test is built on the thread that uses it; descriptor counts come from {@code
 * /proc/self/fd}, read by the owner without calling into bbipc, so only a call that already
 * returned can have released them.
 */
public class CallerDrivenCloseConformanceTest {
  @TempDir Path dir;

  static List<Fixture> fixtures() {
    return Fixture.threaded();
  }

  static List<Fixture> sameTransport() {
    return Fixture.sameTransport();
  }

  StreamServer makeServer(Fixture f, Ipc ipc) throws IpcException {
    return f.kind() == Fixture.Kind.TCP
        ? ipc.makeIpv4TcpServer("127.0.0.1", 0)
        : ipc.makeLocalServer(dir.resolve("cd-" + System.nanoTime() + ".sock"));
  }

  static void assumeFdCounting() {
    Assumptions.assumeTrue(
        Files.isDirectory(Path.of("/proc/self/fd")), "cannot count descriptors here");
  }

  /**
   * Waits, bounded, until at most {@code max} descriptors are open, without calling into bbipc;
   * fails naming both counts.
   */
  static void awaitFdsAtMost(int max, double seconds, String what) {
    long deadline = Streams.deadline(seconds);
    int now;
    while ((now = openFds()) > max) {
      if (Streams.passed(deadline)) {
        fail(what + ": " + max + " descriptors open before, " + now + " now");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  // ---------------------------------------------------------------- pollers

  /**
   * A threaded runtime's poller that once monitored a caller-driven socket serves any thread again
   * once that socket is unmonitored or closed: it runs only the loops of what it monitors now.
   */
  @FixtureTest
  @MethodSource("sameTransport")
  void aThreadedPollerServesOtherThreadsOnceItsCallerDrivenSocketsAreGone(Fixture f)
      throws Exception {
    try (Poller poller = f.serverIpc().makePoller();
        Fixture.Connection threaded = f.connection(dir)) {
      join(
          onNewThread(
              "cd-owner",
              () -> {
                try (Ipc mine = callerDriven(f.serverTransport())) {
                  StreamServer server = makeServer(f, mine);
                  StreamSocket[] ends =
                      CallerDrivenConformanceTest.connectAndAccept(f, mine, server);
                  assertEquals(1, ends[1].writeToStream(new byte[] {1}));
                  poller.monitorSocket(ends[0], EnumSet.of(SocketEvent.DATA_AVAILABLE));
                  poller.monitorSocket(ends[1], EnumSet.of(SocketEvent.READY_TO_WRITE));
                  // the owner waits on the threaded poller, which runs the owner's loop
                  long deadline = Streams.deadline(10);
                  while (poller.waitForEvents(Timeout.seconds(1)).size() < 2) {
                    Streams.checkDeadline(deadline, "both caller-driven sockets to be ready");
                  }
                  // one unmonitored, the other left monitored and closed with its runtime
                  poller.unmonitorSocket(ends[0]);
                  return null;
                }
              }),
          "the owner");
      // another thread now monitors and waits on a threaded stream only
      assertEquals(1, threaded.client().writeToStream(new byte[] {2}));
      poller.monitorSocket(threaded.accepted(), EnumSet.of(SocketEvent.DATA_AVAILABLE));
      List<PollResult> results = poller.waitForEvents(WAIT);
      assertEquals(1, results.size(), results.toString());
      assertSame(threaded.accepted(), results.get(0).socket());
      assertEquals(Set.of(threaded.accepted()), poller.monitoredSockets());
    }
  }
}
