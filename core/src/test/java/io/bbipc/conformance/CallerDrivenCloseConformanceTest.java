package io.bbipc.conformance;

import static io.bbipc.conformance.CallerDrivenConformanceTest.awaitReleased;
import static io.bbipc.conformance.CallerDrivenConformanceTest.callerDriven;
import static io.bbipc.conformance.CallerDrivenConformanceTest.clientOfAnOwnerThatWillEnd;
import static io.bbipc.conformance.CallerDrivenConformanceTest.openFds;
import static io.bbipc.conformance.Fixture.WAIT;
import static io.bbipc.conformance.Streams.join;
import static io.bbipc.conformance.Streams.onNewThread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
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
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
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

  /** What a test's owner thread does. */
  interface OwnerRun {
    void run() throws Exception;
  }

  /**
   * Runs {@code body} on a new thread, the owner of the caller-driven runtimes it builds, and waits
   * (bounded) for it to end; what it throws is thrown here.
   */
  static void onOwnerThread(OwnerRun body) throws Exception {
    join(
        onNewThread(
            "cd-owner",
            () -> {
              body.run();
              return null;
            }),
        "the owner");
  }

  /** Closes {@code c} on a new thread and waits (bounded) for the close to return. */
  static void closeOnAnotherThread(AutoCloseable c) throws Exception {
    join(
        onNewThread(
            "closer",
            () -> {
              c.close();
              return null;
            }),
        "the closer");
  }

  /**
   * Calls into {@code client}'s runtime until {@code continuation} is done, each call running the
   * loop once without blocking ({@code remoteDisconnected()} is false while connected), bounded;
   * then throws what the continuation threw.
   */
  static void callUntilDone(StreamSocket client, CompletableFuture<Void> continuation)
      throws Exception {
    long deadline = Streams.deadline(10);
    while (!continuation.isDone()) {
      Streams.checkDeadline(deadline, "the continuation to run");
      client.remoteDisconnected();
    }
    continuation.get();
  }

  // ---------------------------------------------------------------- closed by another thread

  /**
   * Bytes a stream accepted before another thread closed it are delivered whole when the owner then
   * closes the runtime: its close waits for streams closed before it as for those it closes.
   */
  @PerFixture
  @MethodSource("io.bbipc.conformance.Fixture#threaded")
  void bytesOfAStreamAnotherThreadClosedSurviveTheOwnersRuntimeClose(Fixture f) throws Exception {
    int size = 8 << 20;
    byte[] data = Streams.randomBytes(new Random(11), size);
    StreamServer server = f.newServer(f.serverIpc(), dir);
    try {
      CompletableFuture<byte[]> got;
      Ipc mine =
          Ipc.builder()
              .transport(f.clientTransport())
              .callerDriven(true)
              .outboundBufferLimit(16 << 20)
              .build();
      try {
        StreamSocket[] ends = f.connectAndAccept(mine, server);
        StreamSocket client = ends[0];
        StreamSocket accepted = ends[1];
        assertEquals(size, client.writeToStream(data), "all of it fits the outbound buffer");
        closeOnAnotherThread(client);
        got = onNewThread("peer", () -> Streams.readToDisconnect(accepted, Streams.deadline(30)));
      } finally {
        mine.close();
      }
      byte[] back = join(got, "the peer reading to the end");
      assertEquals(size, back.length, "bytes the peer got of " + size + " accepted");
      Streams.assertSameBytes(data, back);
    } finally {
      server.close();
    }
  }

  /**
   * The owner's next call of any kind, here one that has its answer without running a loop and on a
   * socket of another runtime it owns, finishes the close of a runtime another thread closed: its
   * descriptors are gone when the call returns.
   */
  @PerFixture
  @MethodSource("io.bbipc.conformance.Fixture#sameTransport")
  void aRuntimeAnotherThreadClosedIsReleasedByTheOwnersNextCallOnItsOtherRuntime(Fixture f)
      throws Exception {
    assumeFdCounting();
    onOwnerThread(
        () -> {
          try (Ipc kept = callerDriven(f.serverTransport())) {
            StreamServer keptServer = f.newServer(kept, dir);
            StreamSocket keptClient = f.connectAndAccept(kept, keptServer)[0];
            int before = openFds();
            Ipc closed = callerDriven(f.serverTransport());
            try {
              StreamServer server = f.newServer(closed, dir);
              StreamSocket[] ends = f.connectAndAccept(closed, server);
              assertEquals(3, ends[0].writeToStream(new byte[] {1, 2, 3}));
              assertTrue(openFds() > before, "the second runtime holds descriptors");
              closeOnAnotherThread(closed);
              assertTrue(ends[0].isClosed() && server.isClosed(), "marked closed at once");
              // true at once: this call runs no loop by itself
              assertTrue(keptClient.readyToWrite());
              awaitFdsAtMost(before, 5, "after the owner's next call");
              assertTrue(
                  closed.eventLoopGroup().isTerminated(),
                  "the closed runtime's loop still runs after the owner's next call");
              // the kept runtime works on
              assertEquals(1, keptClient.writeToStream(new byte[] {4}));
            } finally {
              // what a failed check left is not left to the next test
              closed.close();
            }
          }
        });
  }

  // ---------------------------------------------------------------- closed inside a callback

  /**
   * Ipc.close() inside a whenReady continuation is no wait: it may be called there, and the
   * runtime's descriptors are released before the owner's call that ran the continuation returns.
   */
  @PerFixture
  @MethodSource("io.bbipc.conformance.Fixture#sameTransport")
  void closingTheRuntimeInsideAContinuationReleasesItBeforeTheOwnersCallReturns(Fixture f)
      throws Exception {
    assumeFdCounting();
    onOwnerThread(
        () -> {
          int before = openFds();
          Ipc mine = callerDriven(f.serverTransport());
          try {
            StreamServer server = f.newServer(mine, dir);
            StreamSocket[] ends = f.connectAndAccept(mine, server);
            StreamSocket client = ends[0];
            AtomicReference<Thread> closer = new AtomicReference<>();
            CompletableFuture<Void> closedInside =
                client
                    .whenReady(EnumSet.of(SocketEvent.DATA_AVAILABLE))
                    .thenRun(
                        () -> {
                          closer.set(Thread.currentThread());
                          mine.close();
                        });
            assertEquals(1, ends[1].writeToStream(new byte[] {1}));
            callUntilDone(client, closedInside);
            assertSame(Thread.currentThread(), closer.get());
            assertTrue(client.isClosed() && server.isClosed());
            // no call into bbipc from here on
            awaitFdsAtMost(before, 5, "after the owner's call that ran the close returned");
            assertTrue(mine.eventLoopGroup().isTerminated(), "the loop was not stopped");
          } finally {
            // what a failed check left is not left to the next test
            mine.close();
          }
        });
  }

  /**
   * A stream closed by the owner inside a continuation, with bytes the kernel has not taken yet:
   * they reach the peer, and the descriptor is released, before the owner's call returns.
   */
  @PerFixture
  @MethodSource("io.bbipc.conformance.Fixture#sameTransport")
  void aStreamClosedInsideAContinuationIsFlushedAndReleasedBeforeTheOwnersCallReturns(Fixture f)
      throws Exception {
    assumeFdCounting();
    // more than loopback's socket buffers take, so the kernel cannot hold it all at the close
    int size = 16 << 20;
    byte[] data = Streams.randomBytes(new Random(12), size);
    StreamServer server = f.newServer(f.serverIpc(), dir);
    try {
      onOwnerThread(
          () -> {
            try (Ipc mine =
                Ipc.builder()
                    .transport(f.clientTransport())
                    .callerDriven(true)
                    .outboundBufferLimit(32 << 20)
                    .build()) {
              int before = openFds();
              StreamSocket[] ends = f.connectAndAccept(mine, server);
              StreamSocket client = ends[0];
              StreamSocket accepted = ends[1];
              assertEquals(size, client.writeToStream(data));
              CompletableFuture<Void> closedInside =
                  client.whenReady(EnumSet.of(SocketEvent.DATA_AVAILABLE)).thenRun(client::close);
              // the peer answers, then reads everything to the end of the stream
              CompletableFuture<byte[]> got =
                  onNewThread(
                      "peer",
                      () -> {
                        assertEquals(1, accepted.writeToStream(new byte[] {1}));
                        byte[] all = Streams.readToDisconnect(accepted, Streams.deadline(20));
                        accepted.close();
                        return all;
                      });
              callUntilDone(client, closedInside);
              // no call into bbipc from here on: only what that call did reaches the peer
              byte[] back = join(got, "the peer reading to the end");
              assertEquals(size, back.length, "bytes the peer got of " + size + " accepted");
              Streams.assertSameBytes(data, back);
              awaitFdsAtMost(before, 5, "after the owner's call that ran the close returned");
            }
          });
    } finally {
      server.close();
    }
  }

  // ---------------------------------------------------------------- pollers

  /**
   * A threaded runtime's poller that once monitored a caller-driven socket serves any thread again
   * once that socket is unmonitored or closed: it runs only the loops of what it monitors now.
   */
  @PerFixture
  @MethodSource("io.bbipc.conformance.Fixture#sameTransport")
  void aThreadedPollerServesOtherThreadsOnceItsCallerDrivenSocketsAreGone(Fixture f)
      throws Exception {
    try (Poller poller = f.serverIpc().makePoller();
        Fixture.Connection threaded = f.connection(dir)) {
      onOwnerThread(
          () -> {
            try (Ipc mine = callerDriven(f.serverTransport())) {
              StreamServer server = f.newServer(mine, dir);
              StreamSocket[] ends = f.connectAndAccept(mine, server);
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
            }
          });
      // another thread now monitors and waits on a threaded stream only
      assertEquals(1, threaded.client().writeToStream(new byte[] {2}));
      poller.monitorSocket(threaded.accepted(), EnumSet.of(SocketEvent.DATA_AVAILABLE));
      List<PollResult> results = poller.waitForEvents(WAIT);
      assertEquals(1, results.size(), results.toString());
      assertSame(threaded.accepted(), results.get(0).socket());
      assertEquals(Set.of(threaded.accepted()), poller.monitoredSockets());
    }
  }

  // ---------------------------------------------------------------- an owner that ended

  /**
   * A whenReady future pending when its owner ended without closing fails with IpcException for a
   * thread waiting in get(), and its sockets are marked closed; on every transport, io_uring
   * included, whose loop no other thread can run.
   */
  @PerFixture
  @MethodSource("io.bbipc.conformance.Fixture#sameTransport")
  void aPendingFutureOfAnOwnerThatEndedWithoutClosingFails(Fixture f) throws Exception {
    StreamServer server = f.newServer(f.serverIpc(), dir);
    try {
      AtomicReference<Ipc> left = new AtomicReference<>();
      AtomicReference<StreamSocket> leftStream = new AtomicReference<>();
      CompletableFuture<Set<SocketEvent>> pending =
          join(
              onNewThread(
                  "short-lived-owner",
                  () -> {
                    StreamSocket client = clientOfAnOwnerThatWillEnd(f, server, left);
                    leftStream.set(client);
                    return client.whenReady(EnumSet.of(SocketEvent.DATA_AVAILABLE));
                  }),
              "the owner");
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
      StreamSocket accepted = server.acceptConnection();
      try {
        pending.get(20, TimeUnit.SECONDS);
        fail("the future of an ended owner completed normally");
      } catch (TimeoutException e) {
        fail("a future of an owner that ended without closing was still pending after 20 s", e);
      } catch (ExecutionException e) {
        assertInstanceOf(IpcException.class, e.getCause());
      }
      assertTrue(leftStream.get().isClosed(), "the stream is not marked closed");
      accepted.close();
      if (Fixture.provider(f.clientTransport()).loopRunsOnAnyThread()) {
        // released by then, not while a later test counts descriptors
        awaitReleased(left.get(), Streams.deadline(20));
      }
    } finally {
      server.close();
    }
  }
}
