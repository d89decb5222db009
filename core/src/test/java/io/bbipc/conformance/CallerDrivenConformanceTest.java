package io.bbipc.conformance;

import static io.bbipc.conformance.Fixture.WAIT;
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
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
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

  StreamServer makeServer(Fixture f, Ipc ipc) throws IpcException {
    return f.kind() == Fixture.Kind.TCP
        ? ipc.makeIpv4TcpServer("127.0.0.1", 0)
        : ipc.makeLocalServer(dir.resolve("cd-" + System.nanoTime() + ".sock"));
  }

  static StreamSocket connect(Fixture f, Ipc ipc, StreamServer server) throws IpcException {
    return f.kind() == Fixture.Kind.TCP
        ? ipc.connectToIpv4TcpServer("127.0.0.1", ((Ipv4TcpServer) server).port())
        : ipc.connectToLocalServer(((LocalServer) server).localPathname());
  }

  /** Connects a client of {@code ipc} to {@code server} and accepts it: {client, accepted}. */
  static StreamSocket[] connectAndAccept(Fixture f, Ipc ipc, StreamServer server)
      throws IpcException {
    StreamSocket client = connect(f, ipc, server);
    assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT), "no connection to accept");
    StreamSocket accepted = server.acceptConnection();
    assertTrue(client.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT), "the client did not connect");
    return new StreamSocket[] {client, accepted};
  }

  /** Runs {@code body} on a new platform thread and returns its result, bounded. */
  static <T> CompletableFuture<T> onNewThread(String name, java.util.concurrent.Callable<T> body) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                result.complete(body.call());
              } catch (Throwable e) {
                result.completeExceptionally(e);
              }
            },
            name);
    t.setDaemon(true);
    t.start();
    return result;
  }

  static <T> T join(CompletableFuture<T> f, String what) throws Exception {
    try {
      return f.get(60, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("timed out: " + what, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception) {
        throw (Exception) e.getCause();
      }
      throw new AssertionError(what, e.getCause());
    }
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
      StreamServer server = makeServer(f, serverIpc);
      CompletableFuture<Long> client =
          onNewThread(
              "cd-client",
              () -> {
                try (Ipc clientIpc = callerDriven(f.clientTransport(), 4096)) {
                  StreamSocket s = connect(f, clientIpc, server);
                  assertTrue(
                      s.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT), "client did not connect");
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
                }
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
    try (Ipc mine = callerDriven(f.clientTransport())) {
      StreamServer server = makeServer(f, f.serverIpc());
      try {
        StreamSocket[] ends = connectAndAccept(f, mine, server);
        StreamSocket client = ends[0];
        StreamSocket accepted = ends[1];
        CompletableFuture<byte[]> got =
            onNewThread(
                "threaded-reader",
                () -> Streams.readFully(accepted, data.length, Streams.deadline(30)));
        Streams.writeFully(client, data, Streams.deadline(30));
        Streams.assertSameBytes(data, driveUntil(client, got, "the threaded end reading"));
        Streams.writeFully(accepted, data, Streams.deadline(30));
        Streams.assertSameBytes(data, Streams.readFully(client, data.length, Streams.deadline(30)));
        accepted.close();
        client.close();
      } finally {
        server.close();
      }
    }
    // threaded client, caller-driven server
    try (Ipc mine = callerDriven(f.serverTransport())) {
      StreamServer server = makeServer(f, mine);
      StreamSocket client = connect(f, f.clientIpc(), server);
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
      StreamSocket accepted = server.acceptConnection();
      CompletableFuture<byte[]> got =
          onNewThread(
              "threaded-reader",
              () -> Streams.readFully(client, data.length, Streams.deadline(30)));
      Streams.writeFully(accepted, data, Streams.deadline(30));
      Streams.assertSameBytes(data, driveUntil(accepted, got, "the threaded end reading"));
      client.close();
      assertTrue(accepted.poll(SocketEvent.REMOTE_DISCONNECTED, WAIT), "the close was not seen");
    }
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
      StreamServer threadedServer = makeServer(f, f.serverIpc());
      StreamServer myServer = makeServer(f, mine);
      try {
        StreamSocket mineToThreaded = connect(f, mine, threadedServer);
        assertTrue(threadedServer.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
        StreamSocket threadedEnd = threadedServer.acceptConnection();
        StreamSocket threadedToMine = connect(f, f.clientIpc(), myServer);
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
      StreamServer server = makeServer(f, mine);
      StreamSocket[] ends = connectAndAccept(f, mine, server);
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
              v -> call(() -> makeServer(f, mine)),
              v -> call(() -> connect(f, mine, server)));
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
    try (Ipc mine = callerDriven(f.serverTransport())) {
      StreamServer server = makeServer(f, f.serverIpc());
      try {
        StreamSocket[] ends = connectAndAccept(f, mine, server);
        StreamSocket client = ends[0];
        StreamSocket accepted = ends[1];
        assertEquals(3, client.writeToStream(new byte[] {1, 2, 3}));
        Thread ownerThread = Thread.currentThread();
        CompletableFuture<Void> closer =
            onNewThread(
                "closer",
                () -> {
                  awaitInTransportWait(ownerThread);
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
      } finally {
        server.close();
      }
    }
  }

  /** Closing the runtime from another thread wakes the owner; its next call stops the loop. */
  @PerFixture
  @MethodSource("sameTransport")
  void closingTheRuntimeFromAnotherThreadStopsItAtTheOwnersNextCall(Fixture f) throws Exception {
    Ipc mine = callerDriven(f.serverTransport());
    StreamServer server = makeServer(f, mine);
    Thread ownerThread = Thread.currentThread();
    CompletableFuture<Void> closer =
        onNewThread(
            "closer",
            () -> {
              awaitInTransportWait(ownerThread);
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
                StreamServer server = makeServer(f, mine);
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
    StreamServer server = makeServer(f, f.serverIpc());
    try {
      int before = openFds();
      byte[] data = Streams.randomBytes(new Random(4), 256 * 1024);
      AtomicReference<Ipc> left = new AtomicReference<>();
      join(
          onNewThread(
              "short-lived-owner",
              () -> {
                Ipc mine = callerDriven(f.clientTransport());
                left.set(mine);
                StreamSocket client = connect(f, mine, server);
                assertTrue(client.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT));
                int written = 0;
                while (written < data.length) {
                  int n = client.writeToStream(data, written, data.length);
                  written += n;
                  if (n == 0) {
                    break; // the rest stays unwritten: the peer reads only later
                  }
                }
                mine.makePoller();
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
      while (!left.get().eventLoopGroup().isTerminated()) {
        Streams.checkDeadline(deadline, "the orphaned runtime to be closed");
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
      }
      int after = openFds();
      while (after > before + 2) {
        Streams.checkDeadline(deadline, "descriptors: " + before + " before, " + after + " now");
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        after = openFds();
      }
    } finally {
      server.close();
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
                        new ChannelInboundHandlerAdapter() {
                          @Override
                          public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            handlerThread.compareAndSet(null, Thread.currentThread());
                            ctx.fireChannelRead(msg);
                          }
                        }))
            .build();
    try (mine) {
      StreamServer server = makeServer(f, f.serverIpc());
      try {
        StreamSocket[] ends = connectAndAccept(f, mine, server);
        StreamSocket client = ends[0];
        StreamSocket accepted = ends[1];
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
      } finally {
        server.close();
      }
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
   * Runs {@code body} on a new owner thread with a caller-driven runtime of the fixture's client
   * transport, connected to {@code server}; the runtime is listed in {@code owned} so that a test
   * can close it from its own thread (waking an owner it found hung).
   */
  static <T> CompletableFuture<T> asOwner(
      Fixture f, StreamServer server, List<Ipc> owned, OwnerBody<T> body) {
    return onNewThread(
        "owner",
        () -> {
          try (Ipc mine = callerDriven(f.clientTransport())) {
            owned.add(mine);
            StreamSocket[] ends = connectAndAccept(f, mine, server);
            try {
              return body.run(ends[0], ends[1]);
            } finally {
              ends[1].close();
            }
          }
        });
  }

  /**
   * join() by an owner whose interrupt flag is set runs the loop until the future completes and
   * returns with the flag still set, as CompletableFuture.join ignores interrupts; get() answers
   * the flag with InterruptedException.
   */
  @PerFixture
  @MethodSource("fixtures")
  void joinByAnInterruptedOwnerCompletesAndKeepsTheFlag(Fixture f) throws Exception {
    StreamServer server = makeServer(f, f.serverIpc());
    List<Ipc> owned = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<StreamSocket> peer = new CompletableFuture<>();
    CompletableFuture<Thread> joining = new CompletableFuture<>();
    try {
      CompletableFuture<List<Object>> outcome =
          asOwner(
              f,
              server,
              owned,
              (mine, theirs) -> {
                peer.complete(theirs);
                CompletableFuture<Set<SocketEvent>> ready =
                    mine.whenReady(EnumSet.of(SocketEvent.DATA_AVAILABLE));
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
    } finally {
      owned.forEach(Ipc::close);
      server.close();
    }
  }

  /**
   * An owner waiting in join() or get() wakes when another thread completes the future: a cancel,
   * orTimeout's timer, the executor of a thenApplyAsync stage.
   */
  @PerFixture
  @MethodSource("fixtures")
  void anOwnerWaitingOnAFutureWakesWhenAnotherThreadCompletesIt(Fixture f) throws Exception {
    // a server per owner: owners accepting on one server could take each other's connections
    List<StreamServer> servers = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      servers.add(makeServer(f, f.serverIpc()));
    }
    List<Ipc> owned = new java.util.concurrent.CopyOnWriteArrayList<>();
    try {
      java.util.Map<String, CompletableFuture<String>> cases = new java.util.LinkedHashMap<>();
      cases.put(
          "cancel",
          asOwner(
              f,
              servers.get(0),
              owned,
              (mine, peer) -> {
                CompletableFuture<Set<SocketEvent>> ready =
                    mine.whenReady(EnumSet.of(SocketEvent.DATA_AVAILABLE));
                Thread me = Thread.currentThread();
                onNewThread(
                    "canceller",
                    () -> {
                      awaitInTransportWait(me);
                      return ready.cancel(false);
                    });
                try {
                  return "completed with " + ready.join();
                } catch (java.util.concurrent.CancellationException e) {
                  return "cancelled";
                }
              }));
      cases.put(
          "orTimeout",
          asOwner(
              f,
              servers.get(1),
              owned,
              (mine, peer) -> {
                CompletableFuture<Set<SocketEvent>> ready =
                    mine.whenReady(EnumSet.of(SocketEvent.DATA_AVAILABLE))
                        .orTimeout(300, TimeUnit.MILLISECONDS);
                try {
                  return "completed with " + ready.get();
                } catch (ExecutionException e) {
                  return e.getCause().getClass().getSimpleName();
                }
              }));
      cases.put(
          "thenApplyAsync",
          asOwner(
              f,
              servers.get(2),
              owned,
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
                CompletableFuture<Integer> stage =
                    mine.whenReady(EnumSet.of(SocketEvent.DATA_AVAILABLE))
                        .thenApplyAsync(Set::size, later);
                onNewThread(
                    "writer",
                    () -> {
                      awaitInTransportWait(me);
                      return peer.writeToStream(new byte[] {1, 2, 3});
                    });
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
    } finally {
      owned.forEach(Ipc::close);
      for (StreamServer server : servers) {
        server.close();
      }
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
    StreamServer server = makeServer(f, f.serverIpc());
    List<Ipc> owned = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.Queue<String> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
    try {
      CompletableFuture<Void> outcome =
          asOwner(
              f,
              server,
              owned,
              (b, bPeer) -> {
                Thread me = Thread.currentThread();
                for (int round = 0; round < rounds; round++) {
                  boolean viaPoll = round % 2 == 0;
                  StreamSocket[] a = connectAndAccept(f, owned.get(0), server);
                  try {
                    CompletableFuture<Set<SocketEvent>> ready =
                        a[0].whenReady(EnumSet.of(SocketEvent.DATA_AVAILABLE));
                    CompletableFuture<String> continuation =
                        ready.handle(
                            (ev, err) ->
                                (Thread.currentThread() == me
                                        ? "the owner"
                                        : "thread " + Thread.currentThread().getName())
                                    + (err instanceof IpcException ? "" : " with " + ev + err));
                    byte mark = (byte) round;
                    CompletableFuture<Integer> closer =
                        onNewThread(
                            "closer",
                            () -> {
                              awaitInTransportWait(me);
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
    } finally {
      owned.forEach(Ipc::close);
      server.close();
    }
  }

  /**
   * get(timeout) by the owner with a zero or negative timeout looks once and throws
   * TimeoutException, as CompletableFuture does; repeated, it sees the bytes once they come.
   */
  @PerFixture
  @MethodSource("fixtures")
  void getWithAPastDeadlineByTheOwnerLooksOnceAndTimesOut(Fixture f) throws Exception {
    StreamServer server = makeServer(f, f.serverIpc());
    List<Ipc> owned = new java.util.concurrent.CopyOnWriteArrayList<>();
    try {
      CompletableFuture<List<Object>> outcome =
          asOwner(
              f,
              server,
              owned,
              (mine, peer) -> {
                CompletableFuture<Set<SocketEvent>> ready =
                    mine.whenReady(EnumSet.of(SocketEvent.DATA_AVAILABLE));
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
    } finally {
      owned.forEach(Ipc::close);
      server.close();
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
          f.kind() == Fixture.Kind.TCP
              ? mine.makeIpv4TcpServer("127.0.0.1", 0, ServerOptions.defaults().halfClosure(true))
              : mine.makeLocalServer(
                  dir.resolve("hc.sock"), ServerOptions.defaults().halfClosure(true));
      byte[] request = Streams.randomBytes(new Random(5), 100_000);
      CompletableFuture<byte[]> client =
          onNewThread(
              "half-closing-client",
              () -> {
                try (Ipc theirs =
                    f.builder(f.clientTransport()).callerDriven(true).halfClosure(true).build()) {
                  StreamSocket s = connect(f, theirs, server);
                  assertTrue(s.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT));
                  Streams.writeFully(s, request, Streams.deadline(30));
                  s.shutdownOutput();
                  return Streams.readToDisconnect(s, Streams.deadline(30));
                }
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
      StreamServer server =
          f.kind() == Fixture.Kind.TCP
              ? serverIpc.makeIpv4TcpServer("127.0.0.1", 0, options)
              : serverIpc.makeLocalServer(dir.resolve("tls.sock"), options);
      byte[] data = Streams.randomBytes(new Random(6), 200_000);
      CompletableFuture<byte[]> client =
          onNewThread(
              "tls-client",
              () -> {
                try (Ipc clientIpc =
                    f.builder(f.clientTransport())
                        .callerDriven(true)
                        .pipeline(
                            p -> {
                              SslHandler tls =
                                  clientTls.newHandler(p.channel().alloc(), "localhost", 0);
                              clientHandler.set(tls);
                              p.addLast(tls);
                            })
                        .build()) {
                  StreamSocket s = connect(f, clientIpc, server);
                  assertTrue(s.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT));
                  Streams.writeFully(s, data, Streams.deadline(30));
                  byte[] back = Streams.readFully(s, data.length, Streams.deadline(30));
                  assertTrue(
                      clientHandler.get().handshakeFuture().isSuccess(),
                      "no TLS handshake happened");
                  return back;
                }
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
