package io.bbipc.conformance;

import static io.bbipc.conformance.Fixture.WAIT;
import static io.bbipc.conformance.Streams.join;
import static io.bbipc.conformance.Streams.onNewThread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.BasicBinaryIpc;
import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.LocalServer;
import io.bbipc.PollResult;
import io.bbipc.Poller;
import io.bbipc.ServerOptions;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Behaviours 15-19 in docs/behaviours.md: a caller-driven runtime, on every transport pair, TCP and
 * local. Each end's runtime is built on the thread that uses it, as the threading rule requires.
 */
public class CallerDrivenConformanceTest {
  @TempDir Path dir;

  static List<Fixture> fixtures() {
    return Fixture.threaded();
  }

  static List<Fixture> sameTransport() {
    return Fixture.sameTransport();
  }

  static Ipc callerDriven(String transport) {
    return Ipc.builder().transport(transport).callerDriven(true).build();
  }

  static Ipc callerDriven(String transport, int bufferLimit) {
    return Ipc.builder()
        .transport(transport)
        .callerDriven(true)
        .inboundBufferLimit(bufferLimit)
        .outboundBufferLimit(bufferLimit)
        .build();
  }

  // ---------------------------------------------------------------- data, both ends caller-driven

  /**
   * 64 KiB then 16 MiB each way through buffers limited to 4 KiB, CRC-exact: each end's owner
   * writes, flushes and reads only inside its own calls.
   */
  @PerFixture
  @MethodSource("fixtures")
  void bothEndsCallerDrivenEchoExactlyThroughSmallBuffers(Fixture f) throws Exception {
    byte[] small = Streams.randomBytes(new Random(1), 64 * 1024);
    byte[] big = Streams.randomBytes(new Random(2), 16 << 20);
    try (Ipc serverIpc = callerDriven(f.serverTransport(), 4096)) {
      assertTrue(serverIpc.isCallerDriven());
      assertEquals(Thread.currentThread(), serverIpc.owner().orElseThrow());
      StreamServer server = f.newServer(serverIpc, dir);
      CompletableFuture<Long> client =
          onClientOwner(
              "cd-client",
              f,
              server,
              () -> callerDriven(f.clientTransport(), 4096),
              s -> {
                long deadline = Streams.deadline(60);
                for (byte[] data : List.of(small, big)) {
                  // write and read interleaved: the echo comes back while this end still writes
                  int written = 0;
                  int read = 0;
                  byte[] back = new byte[data.length];
                  while (read < data.length) {
                    if (written < data.length) {
                      written += s.writeToStream(data, written, data.length);
                    }
                    read += s.readFromStream(back, read, data.length);
                    if (read < data.length) {
                      Streams.checkDeadline(
                          deadline, "echo: " + written + " written, " + read + " read");
                      s.poll(
                          written < data.length
                              ? EnumSet.of(SocketEvent.DATA_AVAILABLE, SocketEvent.READY_TO_WRITE)
                              : EnumSet.of(SocketEvent.DATA_AVAILABLE),
                          Timeout.seconds(1));
                    }
                  }
                  Streams.assertSameBytes(data, back);
                }
                s.close();
                return Streams.crc(big);
              });
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT), "no connection to accept");
      StreamSocket accepted = server.acceptConnection();
      byte[] buf = new byte[8192];
      long deadline = Streams.deadline(60);
      while (true) {
        Set<SocketEvent> ev =
            accepted.poll(
                EnumSet.of(SocketEvent.DATA_AVAILABLE, SocketEvent.REMOTE_DISCONNECTED),
                Timeout.seconds(1));
        int n = accepted.readFromStream(buf);
        if (n == 0 && ev.contains(SocketEvent.REMOTE_DISCONNECTED) && !accepted.dataAvailable()) {
          break;
        }
        Streams.checkDeadline(deadline, "echoing");
        int off = 0;
        while (off < n) {
          int w = accepted.writeToStream(buf, off, n);
          off += w;
          if (w == 0) {
            Streams.checkDeadline(deadline, "echoing: the stream stays full");
            accepted.poll(SocketEvent.READY_TO_WRITE, Timeout.seconds(1));
          }
        }
      }
      assertEquals(Streams.crc(big), join(client, "the client end"));
    }
  }

  /** A caller-driven end talks to a threaded end, in both roles. */
  @PerFixture
  @MethodSource("fixtures")
  void aCallerDrivenEndTalksToAThreadedEnd(Fixture f) throws Exception {
    byte[] data = Streams.randomBytes(new Random(3), 1 << 20);
    // caller-driven client, threaded server
    try (Ipc mine = callerDriven(f.clientTransport());
        Fixture.Connection c = f.connection(f.serverIpc(), mine, dir)) {
      StreamSocket client = c.client();
      StreamSocket accepted = c.accepted();
      sendToAThreadedReader(client, accepted, data);
      Streams.writeFully(accepted, data, Streams.deadline(30));
      Streams.assertSameBytes(data, Streams.readFully(client, data.length, Streams.deadline(30)));
      accepted.close();
      client.close();
    }
    // threaded client, caller-driven server
    try (Ipc mine = callerDriven(f.serverTransport())) {
      StreamServer server = f.newServer(mine, dir);
      StreamSocket client = f.connect(f.clientIpc(), server);
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
      StreamSocket accepted = server.acceptConnection();
      sendToAThreadedReader(accepted, client, data);
      client.close();
      assertTrue(accepted.poll(SocketEvent.REMOTE_DISCONNECTED, WAIT), "the close was not seen");
    }
  }

  /** What a client's owner does with its stream, once connected. */
  interface ClientBody<T> {
    T run(StreamSocket s) throws Exception;
  }

  /**
   * Runs {@code body} on a new thread, the owner of the runtime {@code runtime} builds there, with
   * a stream of that runtime connected to {@code server}; the runtime is closed when the body
   * returns.
   */
  static <T> CompletableFuture<T> onClientOwner(
      String name,
      Fixture f,
      StreamServer server,
      java.util.function.Supplier<Ipc> runtime,
      ClientBody<T> body) {
    return onNewThread(
        name,
        () -> {
          try (Ipc ipc = runtime.get()) {
            StreamSocket s = f.connect(ipc, server);
            assertTrue(
                s.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT), "the client did not connect");
            return body.run(s);
          }
        });
  }

  /**
   * Writes {@code data} from the owner's end while another thread reads it at the threaded end, the
   * owner calling into its runtime until that thread has it all.
   */
  static void sendToAThreadedReader(StreamSocket mine, StreamSocket threaded, byte[] data)
      throws Exception {
    CompletableFuture<byte[]> got =
        onNewThread(
            "threaded-reader",
            () -> Streams.readFully(threaded, data.length, Streams.deadline(30)));
    Streams.writeFully(mine, data, Streams.deadline(30));
    Streams.assertSameBytes(data, driveUntil(mine, got, "the threaded end reading"));
  }

  /**
   * Waits for another thread's result while the owner keeps calling into its own runtime: what it
   * wrote beyond the kernel's buffer goes out only during its calls.
   */
  static <T> T driveUntil(StreamSocket mine, CompletableFuture<T> other, String what)
      throws Exception {
    long deadline = Streams.deadline(60);
    while (!other.isDone()) {
      Streams.checkDeadline(deadline, what);
      mine.poll(SocketEvent.REMOTE_DISCONNECTED, Timeout.seconds(0.01));
    }
    return join(other, what);
  }

  // ---------------------------------------------------------------- polling several runtimes

  /**
   * pollSockets and a Poller over a caller-driven stream and a threaded one: the owner, blocked in
   * its own transport's wait, wakes for bytes on either.
   */
  @PerFixture
  @MethodSource("sameTransport")
  void pollSocketsAndAPollerCoverCallerDrivenAndThreadedSocketsTogether(Fixture f)
      throws Exception {
    try (Ipc mine = callerDriven(f.clientTransport())) {
      StreamServer threadedServer = f.newServer(f.serverIpc(), dir);
      StreamServer myServer = f.newServer(mine, dir);
      try {
        StreamSocket mineToThreaded = f.connect(mine, threadedServer);
        assertTrue(threadedServer.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
        StreamSocket threadedEnd = threadedServer.acceptConnection();
        StreamSocket threadedToMine = f.connect(f.clientIpc(), myServer);
        assertTrue(myServer.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
        StreamSocket myEnd = myServer.acceptConnection();
        assertTrue(mineToThreaded.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT));
        assertTrue(threadedToMine.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT));

        // bytes for the caller-driven stream, written by another thread's threaded stream
        List<StreamSocket> both = List.of(mineToThreaded, myEnd);
        List<Set<SocketEvent>> data =
            List.of(EnumSet.of(SocketEvent.DATA_AVAILABLE), EnumSet.of(SocketEvent.DATA_AVAILABLE));
        assertEquals(
            List.of(Set.of(), Set.of()), BasicBinaryIpc.pollSockets(both, data, Timeout.IMMEDIATE));
        CompletableFuture<Integer> writer =
            onNewThread("writer", () -> threadedToMine.writeToStream(new byte[] {7}));
        List<Set<SocketEvent>> found = BasicBinaryIpc.pollSockets(both, data, WAIT);
        assertEquals(1, join(writer, "the write"));
        assertEquals(List.of(Set.of(), Set.of(SocketEvent.DATA_AVAILABLE)), found);
        assertEquals(1, myEnd.readFromStream(new byte[1]));

        // bytes for a threaded-runtime stream this owner watches: the other runtime's loop
        // thread wakes the owner out of its transport's wait
        try (Poller poller = mine.makePoller()) {
          poller.monitorSocket(mineToThreaded, EnumSet.of(SocketEvent.DATA_AVAILABLE));
          poller.monitorSocket(myEnd, EnumSet.of(SocketEvent.DATA_AVAILABLE));
          assertEquals(List.of(), poller.waitForEvents(Timeout.IMMEDIATE));
          writer = onNewThread("writer", () -> threadedEnd.writeToStream(new byte[] {8}));
          List<PollResult> results = poller.waitForEvents(WAIT);
          assertEquals(1, join(writer, "the write"));
          assertEquals(1, results.size(), results.toString());
          assertSame(mineToThreaded, results.get(0).socket());
          writer = onNewThread("writer", () -> threadedToMine.writeToStream(new byte[] {9}));
          assertEquals(1, join(writer, "the write"));
          long deadline = Streams.deadline(10);
          boolean sawMine = false;
          while (!sawMine) {
            Streams.checkDeadline(deadline, "the poller to report the caller-driven stream");
            for (PollResult r : poller.waitForEvents(Timeout.seconds(1))) {
              sawMine |= r.socket() == myEnd;
            }
          }
        }
        // a threaded runtime's poller, waited on by this owner, runs the owner's loop too
        try (Poller threadedPoller = f.serverIpc().makePoller()) {
          byte[] two = new byte[2];
          assertEquals(2, Streams.readFully(myEnd, 1, Streams.deadline(10)).length + 1);
          threadedPoller.monitorSocket(myEnd, EnumSet.of(SocketEvent.DATA_AVAILABLE));
          writer = onNewThread("writer", () -> threadedToMine.writeToStream(two));
          assertEquals(2, join(writer, "the write"));
          List<PollResult> results = threadedPoller.waitForEvents(WAIT);
          assertEquals(1, results.size(), results.toString());
          assertSame(myEnd, results.get(0).socket());
        }
        threadedToMine.close();
        threadedEnd.close();
      } finally {
        threadedServer.close();
      }
    }
  }

  // ---------------------------------------------------------------- the threading rule

  /** Other threads get IllegalStateException naming the owner; getters, isClosed and close work. */
  @PerFixture
  @MethodSource("sameTransport")
  void otherThreadsMayOnlyReadAddressesAskIsClosedAndClose(Fixture f) throws Exception {
    try (Ipc mine = callerDriven(f.serverTransport())) {
      StreamServer server = f.newServer(mine, dir);
      StreamSocket[] ends = f.connectAndAccept(mine, server);
      StreamSocket client = ends[0];
      StreamSocket accepted = ends[1];
      Poller poller = mine.makePoller();
      poller.monitorSocket(accepted, EnumSet.of(SocketEvent.DATA_AVAILABLE));
      String owner = Thread.currentThread().getName();
      List<Function<Void, Object>> refused =
          List.of(
              v -> client.dataAvailable(),
              v -> client.readyToWrite(),
              v -> client.determined(),
              v -> call(() -> client.poll(SocketEvent.DATA_AVAILABLE, Timeout.IMMEDIATE)),
              v -> call(() -> client.readFromStream(new byte[1])),
              v -> call(() -> client.writeToStream(new byte[1])),
              v -> call(() -> client.readFromStream(java.nio.ByteBuffer.allocate(1))),
              v -> client.whenReady(EnumSet.of(SocketEvent.DATA_AVAILABLE)),
              v ->
                  call(
                      () -> {
                        client.shutdownOutput();
                        return null;
                      }),
              v -> server.connectionAvailable(),
              v -> call(server::acceptConnection),
              v -> call(() -> server.poll(SocketEvent.CONNECTION_AVAILABLE, Timeout.seconds(1))),
              v ->
                  call(
                      () ->
                          BasicBinaryIpc.pollSockets(
                              List.of(client),
                              List.of(EnumSet.of(SocketEvent.DATA_AVAILABLE)),
                              Timeout.IMMEDIATE)),
              v -> call(() -> poller.waitForEvents(Timeout.IMMEDIATE)),
              v ->
                  call(
                      () -> {
                        poller.monitorSocket(client, EnumSet.of(SocketEvent.DATA_AVAILABLE));
                        return null;
                      }),
              v -> poller.monitoredSockets(),
              v -> call(mine::makePoller),
              v -> call(() -> f.newServer(mine, dir)),
              v -> call(() -> f.connect(mine, server)));
      for (int i = 0; i < refused.size(); i++) {
        Function<Void, Object> call = refused.get(i);
        Object outcome =
            join(
                onNewThread(
                    "intruder",
                    () -> {
                      try {
                        return call.apply(null);
                      } catch (Throwable e) {
                        return e;
                      }
                    }),
                "call " + i);
        IllegalStateException e =
            assertInstanceOf(IllegalStateException.class, outcome, "call " + i);
        assertTrue(e.getMessage().contains(owner), "call " + i + ": " + e.getMessage());
        assertTrue(e.getMessage().contains("intruder"), "call " + i + ": " + e.getMessage());
      }
      // the owner still uses everything
      assertEquals(1, client.writeToStream(new byte[] {1}));
      assertEquals(1, Streams.readFully(accepted, 1, Streams.deadline(10)).length);
      Object getters =
          join(
              onNewThread(
                  "reader",
                  () ->
                      List.of(
                          server.isClosed(),
                          client.isClosed(),
                          mine.transportName(),
                          server.supportedEvents(),
                          mine.isCallerDriven())),
              "getters");
      assertEquals(
          List.of(
              false, false, f.serverTransport(), Set.of(SocketEvent.CONNECTION_AVAILABLE), true),
          getters);
      if (server instanceof Ipv4TcpServer) {
        int port = ((Ipv4TcpServer) server).port();
        assertEquals(
            port, join(onNewThread("reader", () -> ((Ipv4TcpServer) server).port()), "port"));
      } else {
        Path p = ((LocalServer) server).localPathname();
        assertEquals(
            p, join(onNewThread("reader", () -> ((LocalServer) server).localPathname()), "path"));
      }
      poller.close();
    }
  }

  private static Object call(java.util.concurrent.Callable<?> c) {
    try {
      return c.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      return e;
    }
  }

  /**
   * close() from another thread marks the socket closed at once and wakes the owner blocked in its
   * transport's wait; the owner's next call releases the descriptor, and the peer sees it.
   */
  @PerFixture
  @MethodSource("sameTransport")
  void closeFromAnotherThreadWakesTheOwnerAndTheNextCallReleasesTheSocket(Fixture f)
      throws Exception {
    try (Ipc mine = callerDriven(f.serverTransport());
        Fixture.Connection c = f.connection(f.serverIpc(), mine, dir)) {
      StreamSocket client = c.client();
      StreamSocket accepted = c.accepted();
      assertEquals(3, client.writeToStream(new byte[] {1, 2, 3}));
      CompletableFuture<Void> closer =
          onceTheOwnerWaits(
              "closer",
              () -> {
                client.close();
                assertTrue(client.isClosed());
                return null;
              });
      IpcException e =
          assertThrows(
              IpcException.class,
              () -> client.poll(SocketEvent.DATA_AVAILABLE, Timeout.INDEFINITE));
      assertTrue(e.getMessage().contains("closed"), e.getMessage());
      join(closer, "the closer");
      // the peer gets what was written, then the end of the stream
      Streams.assertSameBytes(
          new byte[] {1, 2, 3}, Streams.readToDisconnect(accepted, Streams.deadline(10)));
      accepted.close();
    }
  }

  /** Closing the runtime from another thread wakes the owner; its next call stops the loop. */
  @PerFixture
  @MethodSource("sameTransport")
  void closingTheRuntimeFromAnotherThreadStopsItAtTheOwnersNextCall(Fixture f) throws Exception {
    Ipc mine = callerDriven(f.serverTransport());
    StreamServer server = f.newServer(mine, dir);
    CompletableFuture<Void> closer =
        onceTheOwnerWaits(
            "closer",
            () -> {
              mine.close();
              return null;
            });
    assertThrows(
        IpcException.class,
        () -> server.poll(SocketEvent.CONNECTION_AVAILABLE, Timeout.INDEFINITE));
    join(closer, "the closer");
    assertTrue(server.isClosed());
    assertTrue(mine.eventLoopGroup().isTerminated(), "the owner's call did not stop the loop");
    assertThrows(IpcException.class, mine::makePoller);
    if (server instanceof LocalServer) {
      assertFalse(Files.exists(((LocalServer) server).localPathname()), "the socket file is left");
    } else {
      // the port is free again
      f.serverIpc().makeIpv4TcpServer("127.0.0.1", ((Ipv4TcpServer) server).port()).close();
    }
  }

  /**
   * Runs {@code action} on a new thread once the calling thread, an owner, is blocked in its
   * transport's wait.
   */
  static <T> CompletableFuture<T> onceTheOwnerWaits(
      String name, java.util.concurrent.Callable<T> action) {
    Thread owner = Thread.currentThread();
    return onNewThread(
        name,
        () -> {
          awaitInTransportWait(owner);
          return action.call();
        });
  }

  /** Waits until {@code owner} is blocked inside a caller-driven loop's wait, bounded. */
  static void awaitInTransportWait(Thread owner) {
    long deadline = Streams.deadline(10);
    while (true) {
      StackTraceElement[] stack = owner.getStackTrace();
      boolean inWait = false;
      for (StackTraceElement e : stack) {
        inWait |=
            e.getClassName().endsWith("CallerDrivenLoop") && e.getMethodName().equals("await");
      }
      if (inWait
          && stack.length > 0
          && (stack[0].isNativeMethod() || owner.getState() != Thread.State.RUNNABLE)) {
        return;
      }
      Streams.checkDeadline(deadline, "the owner to block in its transport's wait");
      Thread.onSpinWait();
    }
  }

  /** An interrupted owner returns from a wait at once, with its interrupt flag still set. */
  @PerFixture
  @MethodSource("sameTransport")
  void anInterruptWakesTheOwnerOutOfItsTransportsWait(Fixture f) throws Exception {
    CompletableFuture<Thread> started = new CompletableFuture<>();
    CompletableFuture<List<Object>> outcome =
        onNewThread(
            "owner",
            () -> {
              try (Ipc mine = callerDriven(f.serverTransport())) {
                StreamServer server = f.newServer(mine, dir);
                started.complete(Thread.currentThread());
                boolean polled = server.poll(SocketEvent.CONNECTION_AVAILABLE, Timeout.INDEFINITE);
                boolean interrupted = Thread.interrupted();
                // and a later wait still works
                boolean later =
                    server.poll(SocketEvent.CONNECTION_AVAILABLE, Timeout.seconds(0.05));
                return List.of(polled, interrupted, later);
              }
            });
    Thread owner = join(started, "the owner to start");
    awaitInTransportWait(owner);
    owner.interrupt();
    assertEquals(List.of(false, true, false), join(outcome, "the interrupted owner"));
  }

  /**
   * An owner that ends without closing: its runtime is closed for it within seconds, what it wrote
   * reaches the peer, and no descriptor is left behind.
   */
  @PerFixture
  @MethodSource("sameTransport")
  void anOwnerThatEndsWithoutClosingLeavesNothingBehind(Fixture f) throws Exception {
    Assumptions.assumeTrue(
        Files.isDirectory(Path.of("/proc/self/fd")), "cannot count descriptors here");
    Assumptions.assumeTrue(
        Fixture.provider(f.clientTransport()).loopRunsOnAnyThread(),
        "transport "
            + f.clientTransport()
            + " cannot run a loop on another thread than its owner's (Netty registers"
            + " an io_uring ring with its thread), so an orphaned runtime is released only at exit");
    StreamServer server = f.newServer(f.serverIpc(), dir);
    try {
      int before = openFds();
      byte[] data = Streams.randomBytes(new Random(4), 256 * 1024);
      AtomicReference<Ipc> left = new AtomicReference<>();
      join(
          onNewThread(
              "short-lived-owner",
              () -> {
                StreamSocket client = clientOfAnOwnerThatWillEnd(f, server, left);
                int written = 0;
                while (written < data.length) {
                  int n = client.writeToStream(data, written, data.length);
                  written += n;
                  if (n == 0) {
                    break; // the rest stays unwritten: the peer reads only later
                  }
                }
                left.get().makePoller();
                return written;
              }),
          "the owner");
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
      StreamSocket accepted = server.acceptConnection();
      byte[] got = Streams.readToDisconnect(accepted, Streams.deadline(20));
      assertTrue(got.length > 0 && got.length <= data.length);
      Streams.assertSameBytes(java.util.Arrays.copyOf(data, got.length), got);
      accepted.close();
      long deadline = Streams.deadline(20);
      awaitReleased(left.get(), deadline);
      int after = openFds();
      while (after > before + 2) {
        Streams.checkDeadline(deadline, "descriptors: " + before + " before, " + after + " now");
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        after = openFds();
      }
    } finally {
      server.close();
    }
  }

  /**
   * On the calling thread, which is to end without closing them: a caller-driven runtime of the
   * client transport, kept in {@code left} for the test to watch, and a client of it connected to
   * {@code server}.
   */
  static StreamSocket clientOfAnOwnerThatWillEnd(
      Fixture f, StreamServer server, AtomicReference<Ipc> left) throws IpcException {
    Ipc mine = callerDriven(f.clientTransport());
    left.set(mine);
    StreamSocket client = f.connect(mine, server);
    assertTrue(client.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT));
    return client;
  }

  /** Waits until the runtime of an owner that ended is closed for it, by {@code deadline}. */
  static void awaitReleased(Ipc orphaned, long deadline) {
    while (!orphaned.eventLoopGroup().isTerminated()) {
      Streams.checkDeadline(deadline, "the orphaned runtime to be released");
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  static int openFds() {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return (int) s.count() - 1;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------- callbacks run on the owner

  /**
   * whenReady completes on the owner inside its own call, pipeline handlers run on the owner, and a
   * wait inside a continuation is refused rather than nested.
   */
  @PerFixture
  @MethodSource("sameTransport")
  void callbacksRunOnTheOwnerAndMayNotWait(Fixture f) throws Exception {
    AtomicReference<Thread> handlerThread = new AtomicReference<>();
    Ipc mine =
        f.builder(f.serverTransport())
            .callerDriven(true)
            .pipeline(
                p ->
                    p.addLast(
                        Streams.passingOn(
                            msg -> {
                              handlerThread.compareAndSet(null, Thread.currentThread());
                              return msg;
                            })))
            .build();
    try (mine;
        Fixture.Connection c = f.connection(f.serverIpc(), mine, dir)) {
      StreamSocket client = c.client();
      StreamSocket accepted = c.accepted();
      AtomicReference<Thread> continuation = new AtomicReference<>();
      AtomicReference<Throwable> nestedWait = new AtomicReference<>();
      AtomicReference<Object> immediate = new AtomicReference<>();
      CompletableFuture<Set<SocketEvent>> ready =
          client.whenReady(EnumSet.of(SocketEvent.DATA_AVAILABLE));
      CompletableFuture<Void> after =
          ready.thenAccept(
              ev -> {
                continuation.set(Thread.currentThread());
                try {
                  client.poll(SocketEvent.REMOTE_DISCONNECTED, Timeout.seconds(1));
                } catch (Throwable e) {
                  nestedWait.set(e);
                }
                try {
                  immediate.set(
                      client.poll(EnumSet.of(SocketEvent.DATA_AVAILABLE), Timeout.IMMEDIATE));
                } catch (Throwable e) {
                  immediate.set(e);
                }
              });
      assertEquals(
          1, join(onNewThread("writer", () -> accepted.writeToStream(new byte[] {5})), "write"));
      // nothing runs the owner's loop but the owner: the future waits for its next call
      long deadline = Streams.deadline(10);
      while (!after.isDone()) {
        Streams.checkDeadline(deadline, "whenReady to complete inside the owner's poll");
        client.poll(SocketEvent.DATA_AVAILABLE, Timeout.seconds(1));
      }
      assertSame(Thread.currentThread(), continuation.get());
      assertSame(Thread.currentThread(), handlerThread.get());
      assertInstanceOf(IllegalStateException.class, nestedWait.get());
      assertEquals(Set.of(SocketEvent.DATA_AVAILABLE), immediate.get());
      assertEquals(5, Streams.readFully(client, 1, Streams.deadline(10))[0]);
      accepted.close();
    }
  }

  // ---------------------------------------------------------------- waiting on whenReady futures

  /** How long the owner's wait on a future may take in the tests below before it counts as hung. */
  static final long HUNG_SECONDS = 15;

  /**
   * {@code f}'s result within {@link #HUNG_SECONDS}, else an AssertionError naming {@code what}.
   */
  static <T> T finishes(CompletableFuture<T> f, String what) throws Exception {
    try {
      return f.get(HUNG_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError(what + " did not finish within " + HUNG_SECONDS + " s", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception) {
        throw (Exception) e.getCause();
      }
      throw new AssertionError(what, e.getCause());
    }
  }

  /** Waits until {@code t} is blocked (parked or in a native call) inside {@code cls.method}. */
  static void awaitBlockedIn(Thread t, String cls, String method) {
    long deadline = Streams.deadline(10);
    while (true) {
      StackTraceElement[] stack = t.getStackTrace();
      boolean inside = false;
      for (StackTraceElement e : stack) {
        inside |= e.getClassName().endsWith(cls) && e.getMethodName().equals(method);
      }
      if (inside
          && stack.length > 0
          && (stack[0].isNativeMethod() || t.getState() != Thread.State.RUNNABLE)) {
        return;
      }
      Streams.checkDeadline(deadline, t.getName() + " to block in " + cls + "." + method);
      Thread.onSpinWait();
    }
  }

  /** What an owner does with its end of a stream whose other end a threaded runtime accepted. */
  interface OwnerBody<T> {
    T run(StreamSocket mine, StreamSocket peer) throws Exception;
  }

  /**
   * Owner threads of a test, each with a caller-driven runtime of the fixture's client transport
   * connected to a server of its own (owners accepting on one server could take each other's
   * connections) made by the fixture's threaded server runtime. Closing closes the runtimes from
   * the test's thread, waking an owner found hung, then the servers.
   */
  static final class Owners implements AutoCloseable {
    private final Fixture f;
    private final Path dir;

    /** The owners' runtimes, in the order they were built. */
    final List<Ipc> runtimes = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The owners' servers, in the order the owners were started. */
    final List<StreamServer> servers = new java.util.ArrayList<>();

    Owners(Fixture f, Path dir) {
      this.f = f;
      this.dir = dir;
    }

    /** Runs {@code body} on a new owner thread, its stream connected to a new server. */
    <T> CompletableFuture<T> start(OwnerBody<T> body) throws IpcException {
      StreamServer server = f.newServer(f.serverIpc(), dir);
      servers.add(server);
      return onNewThread(
          "owner",
          () -> {
            try (Ipc mine = callerDriven(f.clientTransport())) {
              runtimes.add(mine);
              StreamSocket[] ends = f.connectAndAccept(mine, server);
              try {
                return body.run(ends[0], ends[1]);
              } finally {
                ends[1].close();
              }
            }
          });
    }

    @Override
    public void close() {
      runtimes.forEach(Ipc::close);
      servers.forEach(StreamServer::close);
    }
  }

  static CompletableFuture<Set<SocketEvent>> dataReady(StreamSocket s) {
    return s.whenReady(EnumSet.of(SocketEvent.DATA_AVAILABLE));
  }

  /**
   * join() by an owner whose interrupt flag is set runs the loop until the future completes and
   * returns with the flag still set, as CompletableFuture.join ignores interrupts; get() answers
   * the flag with InterruptedException.
   */
  @PerFixture
  @MethodSource("fixtures")
  void joinByAnInterruptedOwnerCompletesAndKeepsTheFlag(Fixture f) throws Exception {
    CompletableFuture<StreamSocket> peer = new CompletableFuture<>();
    CompletableFuture<Thread> joining = new CompletableFuture<>();
    try (Owners owners = new Owners(f, dir)) {
      CompletableFuture<List<Object>> outcome =
          owners.start(
              (mine, theirs) -> {
                peer.complete(theirs);
                CompletableFuture<Set<SocketEvent>> ready = dataReady(mine);
                joining.complete(Thread.currentThread());
                Thread.currentThread().interrupt();
                Set<SocketEvent> joined = ready.join();
                boolean flagKept = Thread.interrupted();
                CompletableFuture<Set<SocketEvent>> never =
                    mine.whenReady(EnumSet.of(SocketEvent.REMOTE_DISCONNECTED));
                Thread.currentThread().interrupt();
                Object got;
                try {
                  got = never.get();
                } catch (InterruptedException e) {
                  got = e.getClass().getSimpleName();
                }
                Thread.interrupted();
                return List.of(
                    joined, flagKept, got, Streams.readFully(mine, 3, Streams.deadline(10)).length);
              });
      Thread owner = finishes(joining, "the owner's connect");
      awaitBlockedIn(owner, "OwnerDrivenFuture", "join");
      assertEquals(3, finishes(peer, "the accept").writeToStream(new byte[] {1, 2, 3}));
      assertEquals(
          List.of(Set.of(SocketEvent.DATA_AVAILABLE), true, "InterruptedException", 3),
          finishes(outcome, "join() by the interrupted owner"));
    }
  }

  /**
   * An owner waiting in join() or get() wakes when another thread completes the future: a cancel,
   * orTimeout's timer, the executor of a thenApplyAsync stage.
   */
  @PerFixture
  @MethodSource("fixtures")
  void anOwnerWaitingOnAFutureWakesWhenAnotherThreadCompletesIt(Fixture f) throws Exception {
    try (Owners owners = new Owners(f, dir)) {
      java.util.Map<String, CompletableFuture<String>> cases = new java.util.LinkedHashMap<>();
      cases.put(
          "cancel",
          owners.start(
              (mine, peer) -> {
                CompletableFuture<Set<SocketEvent>> ready = dataReady(mine);
                onceTheOwnerWaits("canceller", () -> ready.cancel(false));
                try {
                  return "completed with " + ready.join();
                } catch (java.util.concurrent.CancellationException e) {
                  return "cancelled";
                }
              }));
      cases.put(
          "orTimeout",
          owners.start(
              (mine, peer) -> {
                CompletableFuture<Set<SocketEvent>> ready =
                    dataReady(mine).orTimeout(300, TimeUnit.MILLISECONDS);
                try {
                  return "completed with " + ready.get();
                } catch (ExecutionException e) {
                  return e.getCause().getClass().getSimpleName();
                }
              }));
      cases.put(
          "thenApplyAsync",
          owners.start(
              (mine, peer) -> {
                Thread me = Thread.currentThread();
                // the stage completes on another thread while the owner waits in its transport
                java.util.concurrent.Executor later =
                    task ->
                        onNewThread(
                            "async",
                            () -> {
                              awaitInTransportWait(me);
                              task.run();
                              return null;
                            });
                CompletableFuture<Integer> stage = dataReady(mine).thenApplyAsync(Set::size, later);
                onceTheOwnerWaits("writer", () -> peer.writeToStream(new byte[] {1, 2, 3}));
                int applied = stage.join();
                return "applied "
                    + applied
                    + ", read "
                    + Streams.readFully(mine, 3, Streams.deadline(10)).length;
              }));
      long deadline = Streams.deadline(HUNG_SECONDS);
      java.util.Map<String, String> got = new java.util.LinkedHashMap<>();
      for (java.util.Map.Entry<String, CompletableFuture<String>> c : cases.entrySet()) {
        try {
          got.put(
              c.getKey(),
              c.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
          got.put(c.getKey(), "hung: the owner was not woken");
        } catch (ExecutionException e) {
          throw new AssertionError(c.getKey(), e.getCause());
        }
      }
      assertEquals(
          java.util.Map.of(
              "cancel",
              "cancelled",
              "orTimeout",
              "TimeoutException",
              "thenApplyAsync",
              "applied 1, read 3"),
          got);
    }
  }

  /**
   * A whenReady future of a stream that another thread closes completes on the owner, inside the
   * owner's own call, and wakes the owner waiting on it; over many rounds, the owner waiting in a
   * poll of another stream or in join() of the continuation.
   */
  @PerFixture
  @MethodSource("fixtures")
  void aFutureOfAStreamClosedByAnotherThreadCompletesOnTheOwner(Fixture f) throws Exception {
    int rounds = 20;
    java.util.Queue<String> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
    try (Owners owners = new Owners(f, dir)) {
      CompletableFuture<Void> outcome =
          owners.start(
              (b, bPeer) -> {
                Thread me = Thread.currentThread();
                for (int round = 0; round < rounds; round++) {
                  boolean viaPoll = round % 2 == 0;
                  StreamSocket[] a =
                      f.connectAndAccept(owners.runtimes.get(0), owners.servers.get(0));
                  try {
                    CompletableFuture<String> continuation =
                        dataReady(a[0])
                            .handle(
                                (ev, err) ->
                                    (Thread.currentThread() == me
                                            ? "the owner"
                                            : "thread " + Thread.currentThread().getName())
                                        + (err instanceof IpcException ? "" : " with " + ev + err));
                    byte mark = (byte) round;
                    CompletableFuture<Integer> closer =
                        onceTheOwnerWaits(
                            "closer",
                            () -> {
                              a[0].close();
                              return viaPoll ? bPeer.writeToStream(new byte[] {mark}) : 0;
                            });
                    String how =
                        "round " + round + (viaPoll ? ", owner in poll: " : ", owner in join: ");
                    if (viaPoll) {
                      assertTrue(b.poll(SocketEvent.DATA_AVAILABLE, WAIT), how + "no byte");
                      assertEquals(mark, Streams.readFully(b, 1, Streams.deadline(10))[0]);
                    }
                    seen.add(how + continuation.join());
                    join(closer, "the closer");
                  } finally {
                    a[1].close();
                  }
                }
                return null;
              });
      try {
        finishes(outcome, "the owner's " + rounds + " rounds");
      } catch (AssertionError hung) {
        throw new AssertionError(hung.getMessage() + "; continuations so far: " + seen, hung);
      }
      List<String> offOwner = new java.util.ArrayList<>();
      for (String s : seen) {
        if (!s.endsWith(": the owner")) {
          offOwner.add(s);
        }
      }
      assertEquals(List.of(), offOwner, offOwner.size() + " of " + rounds + " off the owner");
    }
  }

  /**
   * get(timeout) by the owner with a zero or negative timeout looks once and throws
   * TimeoutException, as CompletableFuture does; repeated, it sees the bytes once they come.
   */
  @PerFixture
  @MethodSource("fixtures")
  void getWithAPastDeadlineByTheOwnerLooksOnceAndTimesOut(Fixture f) throws Exception {
    try (Owners owners = new Owners(f, dir)) {
      CompletableFuture<List<Object>> outcome =
          owners.start(
              (mine, peer) -> {
                CompletableFuture<Set<SocketEvent>> ready = dataReady(mine);
                List<Object> got = new java.util.ArrayList<>();
                for (Object[] t :
                    List.of(
                        new Object[] {-1L, TimeUnit.SECONDS},
                        new Object[] {0L, TimeUnit.NANOSECONDS},
                        new Object[] {Long.MIN_VALUE, TimeUnit.NANOSECONDS})) {
                  try {
                    got.add(ready.get((Long) t[0], (TimeUnit) t[1]));
                  } catch (TimeoutException e) {
                    got.add("TimeoutException");
                  }
                }
                assertEquals(3, peer.writeToStream(new byte[] {1, 2, 3}));
                long deadline = Streams.deadline(10);
                while (true) {
                  try {
                    got.add(ready.get(-1, TimeUnit.SECONDS));
                    break;
                  } catch (TimeoutException e) {
                    Streams.checkDeadline(deadline, "get(-1, SECONDS) to see the bytes");
                  }
                }
                got.add(Streams.readFully(mine, 3, Streams.deadline(10)).length);
                return got;
              });
      assertEquals(
          List.of(
              "TimeoutException",
              "TimeoutException",
              "TimeoutException",
              Set.of(SocketEvent.DATA_AVAILABLE),
              3),
          finishes(outcome, "get with a past deadline by the owner"));
    }
  }

  // ---------------------------------------------------------------- options

  /** Busy polling, half-close and bounded buffers hold on a caller-driven runtime too. */
  @PerFixture
  @MethodSource("sameTransport")
  void busyPollHalfCloseAndBoundedBuffersWork(Fixture f) throws Exception {
    Assumptions.assumeTrue(
        f.kind() == Fixture.Kind.TCP || Fixture.provider(f.serverTransport()).localHalfClosure(),
        "transport " + f.serverTransport() + " closes a local stream at its peer's end-of-stream");
    try (Ipc mine =
        f.builder(f.serverTransport())
            .callerDriven(true)
            .busyPoll(Duration.ofMillis(1))
            .inboundBufferLimit(1024)
            .outboundBufferLimit(1024)
            .build()) {
      StreamServer server =
          f.makeServer(mine, dir.resolve("hc.sock"), ServerOptions.defaults().halfClosure(true));
      byte[] request = Streams.randomBytes(new Random(5), 100_000);
      CompletableFuture<byte[]> client =
          onClientOwner(
              "half-closing-client",
              f,
              server,
              () -> f.builder(f.clientTransport()).callerDriven(true).halfClosure(true).build(),
              s -> {
                Streams.writeFully(s, request, Streams.deadline(30));
                s.shutdownOutput();
                return Streams.readToDisconnect(s, Streams.deadline(30));
              });
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
      StreamSocket accepted = server.acceptConnection();
      byte[] got = Streams.readToDisconnect(accepted, Streams.deadline(30));
      Streams.assertSameBytes(request, got);
      assertTrue(
          accepted.remoteDisconnected() && accepted.connectionSucceeded(),
          "half-closed, still writable");
      // never more than the limits buffered, yet the answer goes out whole
      Streams.writeFully(accepted, got, Streams.deadline(30));
      accepted.shutdownOutput();
      Streams.assertSameBytes(request, join(client, "the client"));
      accepted.close();
    }
  }

  /** A TLS handler in the pipeline runs on the owner: an encrypted echo between two owners. */
  @PerFixture
  @MethodSource("sameTransport")
  void anSslHandlerWorksOnCallerDrivenRuntimes(Fixture f) throws Exception {
    SslContext[] contexts = EmbeddingConformanceTest.tlsContexts(dir);
    SslContext serverTls = contexts[0];
    SslContext clientTls = contexts[1];
    AtomicReference<SslHandler> clientHandler = new AtomicReference<>();
    ServerOptions options =
        ServerOptions.defaults()
            .pipeline(p -> p.addLast(serverTls.newHandler(p.channel().alloc())));
    try (Ipc serverIpc = f.builder(f.serverTransport()).callerDriven(true).build()) {
      StreamServer server = f.makeServer(serverIpc, dir.resolve("tls.sock"), options);
      byte[] data = Streams.randomBytes(new Random(6), 200_000);
      CompletableFuture<byte[]> client =
          onClientOwner(
              "tls-client",
              f,
              server,
              () ->
                  f.builder(f.clientTransport())
                      .callerDriven(true)
                      .pipeline(
                          p -> {
                            SslHandler tls =
                                clientTls.newHandler(p.channel().alloc(), "localhost", 0);
                            clientHandler.set(tls);
                            p.addLast(tls);
                          })
                      .build(),
              s -> {
                Streams.writeFully(s, data, Streams.deadline(30));
                byte[] back = Streams.readFully(s, data.length, Streams.deadline(30));
                assertTrue(
                    clientHandler.get().handshakeFuture().isSuccess(), "no TLS handshake happened");
                return back;
              });
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
      StreamSocket accepted = server.acceptConnection();
      byte[] got = Streams.readFully(accepted, data.length, Streams.deadline(30));
      Streams.writeFully(accepted, got, Streams.deadline(30));
      Streams.assertSameBytes(data, join(client, "the TLS client"));
      accepted.close();
    }
  }

  // ---------------------------------------------------------------- building

  @Test
  void theBuilderRefusesWhatContradictsACallerDrivenRuntime() throws Exception {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Ipc.builder()
                    .callerDriven(true)
                    .eventLoopGroup(Fixture.runtime("nio").eventLoopGroup())
                    .build());
    assertTrue(e.getMessage().contains("eventLoopGroup"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Ipc.builder().busyPoll(Duration.ofNanos(50_000)).build());
    assertTrue(e.getMessage().contains("busyPoll(PT0.00005S)"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Ipc.builder().busyPoll(Duration.ofNanos(-1)));
    assertTrue(e.getMessage().contains("-0.000000001"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Ipc.builder().callerDriven(true).ioThreads(2).build());
    assertTrue(e.getMessage().contains("ioThreads(2)"), e.getMessage());
    try (Ipc threaded = Ipc.builder().transport("nio").build()) {
      assertFalse(threaded.isCallerDriven());
      assertEquals(java.util.Optional.empty(), threaded.owner());
    }
    // a caller-driven runtime starts no thread
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    try (Ipc mine = Ipc.builder().transport("nio").callerDriven(true).build()) {
      mine.makePoller().close();
      Set<Thread> now = new java.util.HashSet<>(Thread.getAllStackTraces().keySet());
      now.removeAll(before);
      now.removeIf(t -> t.getName().startsWith("globalEventExecutor"));
      assertEquals(Set.of(), now);
      assertEquals(Thread.currentThread(), mine.owner().orElseThrow());
    }
  }

  /** A virtual thread cannot own one: the transport's native wait would pin its carrier. */
  @Test
  void aVirtualThreadCannotOwnACallerDrivenRuntime() throws Exception {
    Assumptions.assumeTrue(
        Runtime.version().feature() >= 21,
        "virtual threads need JDK 21+; this is JDK " + Runtime.version());
    Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
    ThreadFactory virtual =
        (ThreadFactory)
            Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
    CompletableFuture<Object> outcome = new CompletableFuture<>();
    virtual
        .newThread(
            () -> {
              try {
                outcome.complete(Ipc.builder().transport("nio").callerDriven(true).build());
              } catch (Throwable e) {
                outcome.complete(e);
              }
            })
        .start();
    Object result = join(outcome, "the virtual thread");
    if (result instanceof Ipc) {
      ((Ipc) result).close();
    }
    IllegalStateException e = assertInstanceOf(IllegalStateException.class, result);
    assertTrue(
        e.getMessage().contains("virtual thread") && e.getMessage().contains("pin"),
        e.getMessage());
  }
}
