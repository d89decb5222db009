package io.bbipc.conformance;

import static io.bbipc.SocketEvent.CONNECTION_FAILED;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.DETERMINED;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;
import static io.bbipc.conformance.Fixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.IpcException;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stream behaviours (behaviours 1-5, 9 and 11-13 in docs/behaviours.md) and the original
 * library's stream tests, on every fixture.
 */
public class StreamConformanceTest {
  @TempDir Path dir;

  @OverConformanceFixtures
  void bothEndsAreDeterminedAndSucceeded(Fixture f) throws Exception {
    StreamServer server = f.makeServer(dir);
    try (server) {
      assertFalse(server.poll(SocketEvent.CONNECTION_AVAILABLE, Timeout.IMMEDIATE));
      try (StreamSocket client = f.connect(server)) {
        assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
        try (StreamSocket remote = server.acceptConnection()) {
          assertEquals(
              EnumSet.of(DETERMINED, CONNECTION_SUCCEEDED),
              waitFor(client, EnumSet.of(DETERMINED, CONNECTION_SUCCEEDED)));
          assertTrue(remote.poll(DETERMINED, WAIT));
          assertFalse(client.connectionFailed());
          assertFalse(remote.connectionFailed());
          assertTrue(client.connectionSucceeded());
          assertTrue(remote.connectionSucceeded());
          assertTrue(client.determined());
          assertFalse(client.remoteDisconnected());
        }
      }
    }
  }

  /** Polls until every one of {@code events} holds, or the wait ends. */
  private static Set<SocketEvent> waitFor(StreamSocket s, Set<SocketEvent> events)
      throws IpcException {
    long deadline = Streams.deadline(10);
    Set<SocketEvent> got;
    do {
      got = s.poll(events, Timeout.seconds(1));
    } while (!got.containsAll(events) && System.nanoTime() - deadline < 0);
    return got;
  }

  /** A connection, checked idle: the client may write, and the accepted end has nothing yet. */
  private Fixture.Connection idleConnection(Fixture f) throws IpcException {
    Fixture.Connection c = f.connection(dir);
    try {
      assertTrue(c.client().poll(READY_TO_WRITE, Timeout.IMMEDIATE));
      assertFalse(c.accepted().poll(DATA_AVAILABLE, Timeout.IMMEDIATE));
      return c;
    } catch (IpcException | RuntimeException | Error e) {
      c.close();
      throw e;
    }
  }

  @OverConformanceFixtures
  void writeAndReadWithStartAndEnd(Fixture f) throws Exception {
    try (Fixture.Connection c = idleConnection(f)) {
      StreamSocket client = c.client();
      StreamSocket remote = c.accepted();
      byte[] buffer = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};

      assertThrows(IndexOutOfBoundsException.class, () -> client.writeToStream(buffer, -1, 10));
      assertThrows(IndexOutOfBoundsException.class, () -> client.writeToStream(buffer, 0, -1));
      assertThrows(IndexOutOfBoundsException.class, () -> client.writeToStream(buffer, 3, 1));
      assertThrows(IndexOutOfBoundsException.class, () -> client.writeToStream(buffer, 3, 11));
      assertFalse(
          remote.poll(DATA_AVAILABLE, Timeout.seconds(0.05)), "a rejected write sent bytes");

      assertEquals(2, client.writeToStream(buffer, 3, 5));
      assertTrue(remote.poll(DATA_AVAILABLE, WAIT));

      IndexOutOfBoundsException e =
          assertThrows(
              IndexOutOfBoundsException.class, () -> remote.readFromStream(buffer, -1, 10));
      assertTrue(e.getMessage().contains("-1"), e.getMessage());
      assertThrows(IndexOutOfBoundsException.class, () -> remote.readFromStream(buffer, 0, -1));
      assertThrows(IndexOutOfBoundsException.class, () -> remote.readFromStream(buffer, 3, 1));
      assertThrows(IndexOutOfBoundsException.class, () -> remote.readFromStream(buffer, 3, 11));
      assertTrue(remote.dataAvailable(), "a rejected read consumed bytes");

      assertEquals(2, remote.readFromStream(buffer, 7, 10));
      assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5, 6, 3, 4, 9}, buffer);
      assertFalse(remote.dataAvailable());
      assertTrue(client.readyToWrite());
    }
  }

  @OverConformanceFixtures
  void readWithNoDataReturnsZero(Fixture f) throws Exception {
    try (Fixture.Connection c = f.connection(dir)) {
      byte[] buffer = new byte[10];
      assertEquals(0, c.client().readFromStream(buffer));
      assertEquals(0, c.accepted().readFromStream(buffer));
      assertEquals(0, c.accepted().readFromStream(ByteBuffer.allocate(4)));
    }
  }

  @OverConformanceFixtures
  void peekLeavesTheBytesForTheNextRead(Fixture f) throws Exception {
    try (Fixture.Connection c = f.connection(dir)) {
      byte[] data = {10, 20, 30, 40, 50};
      assertEquals(5, c.client().writeToStream(data));
      // wait until all five have arrived, peeking so that nothing is consumed
      byte[] peeked = new byte[5];
      long deadline = Streams.deadline(10);
      int n;
      while ((n = c.accepted().readFromStream(peeked, 0, 5, true)) < 5) {
        Streams.checkDeadline(deadline, "peeked " + n + " of 5");
        c.accepted().poll(DATA_AVAILABLE, Timeout.seconds(0.01));
      }
      assertArrayEquals(data, peeked);
      byte[] again = new byte[3];
      assertEquals(3, c.accepted().readFromStream(again, 0, 3, true));
      assertArrayEquals(new byte[] {10, 20, 30}, again);
      byte[] read = new byte[8];
      assertEquals(5, c.accepted().readFromStream(read));
      assertArrayEquals(data, java.util.Arrays.copyOf(read, 5));
      assertEquals(0, c.accepted().readFromStream(read, 0, 8, true));
    }
  }

  @OverConformanceFixtures
  void remoteDisconnect(Fixture f) throws Exception {
    try (Fixture.Connection c = idleConnection(f)) {
      StreamSocket client = c.client();
      StreamSocket remote = c.accepted();

      remote.close();
      assertTrue(remote.isClosed());
      assertThrows(IpcException.class, () -> remote.poll(READY_TO_WRITE, WAIT));

      assertTrue(client.poll(REMOTE_DISCONNECTED, WAIT));
      assertFalse(client.poll(CONNECTION_SUCCEEDED, Timeout.IMMEDIATE));
      assertFalse(client.poll(READY_TO_WRITE, Timeout.IMMEDIATE));
      assertFalse(client.poll(DATA_AVAILABLE, Timeout.IMMEDIATE));
      assertEquals(
          EnumSet.of(DETERMINED, CONNECTION_FAILED, REMOTE_DISCONNECTED),
          client.poll(
              EnumSet.of(
                  DETERMINED,
                  CONNECTION_SUCCEEDED,
                  CONNECTION_FAILED,
                  DATA_AVAILABLE,
                  READY_TO_WRITE,
                  REMOTE_DISCONNECTED),
              Timeout.IMMEDIATE));
      assertFalse(client.isClosed(), "the peer must never close our socket");
      IpcException e = assertThrows(IpcException.class, () -> client.writeToStream(new byte[1]));
      assertEquals(client, e.socket());
      assertEquals(0, client.readFromStream(new byte[4]));
    }
  }

  @OverConformanceFixtures
  void bytesWrittenJustBeforeThePeerClosedAreReadInFull(Fixture f) throws Exception {
    byte[] data = Streams.randomBytes(new Random(42), 300_000);
    try (Fixture.Connection c = f.connection(dir)) {
      Streams.writeFully(c.accepted(), data, Streams.deadline(20));
      c.accepted().close();
      assertTrue(c.client().poll(DATA_AVAILABLE, WAIT));
      byte[] got = Streams.readToDisconnect(c.client(), Streams.deadline(20));
      Streams.assertSameBytes(data, got);
      assertTrue(c.client().remoteDisconnected());
      assertFalse(c.client().dataAvailable());
    }
  }

  @OverConformanceFixtures
  void aConnectionClosedBeforeAcceptIsOfferedWithItsBytes(Fixture f) throws Exception {
    try (StreamServer server = f.makeServer(dir)) {
      try (StreamSocket client = f.connect(server)) {
        assertTrue(client.poll(CONNECTION_SUCCEEDED, WAIT));
        assertEquals(3, client.writeToStream(new byte[] {7, 8, 9}));
      }
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
      try (StreamSocket remote = server.acceptConnection()) {
        byte[] got = Streams.readToDisconnect(remote, Streams.deadline(10));
        assertArrayEquals(new byte[] {7, 8, 9}, got);
      }
    }
  }

  @OverConformanceFixtures
  void aPeerThatNeverReadsFillsTheOutboundBuffer(Fixture f) throws Exception {
    try (Fixture.Connection c = f.connection(dir)) {
      byte[] chunk = new byte[100_000];
      long written = 0;
      int n = -1;
      long sentBefore = 0;
      long deadline = Streams.deadline(20);
      for (int i = 0; i < 10_000 && n != 0; i++) {
        sentBefore = c.client().stats().bytesSent();
        n = c.client().writeToStream(chunk);
        written += n;
        Streams.checkDeadline(deadline, "filling the buffers");
      }
      assertEquals(0, n, "writeToStream never returned 0");
      // writable again only once the loop has handed more to the kernel (its buffers may still
      // grow for a peer that does not read) since the write was refused
      assertTrue(
          !c.client().readyToWrite() || c.client().stats().bytesSent() > sentBefore,
          "READY_TO_WRITE holds though nothing left the outbound buffer");
      // the kernel's buffers take some, our outbound limit the rest: bounded, not unbounded
      assertTrue(written < 64L << 20, "accepted " + written + " bytes without a reader");
      // once the peer reads, writing resumes
      byte[] sink = new byte[1 << 16];
      long drained = 0;
      while (!c.client().readyToWrite()) {
        Streams.checkDeadline(deadline, "draining, " + drained + " read");
        int r = c.accepted().readFromStream(sink);
        drained += r;
        if (r == 0) {
          c.accepted().poll(DATA_AVAILABLE, Timeout.seconds(0.1));
        }
      }
      assertTrue(c.client().writeToStream(chunk) > 0);
    }
  }

  @OverConformanceFixtures
  void closeDeliversWhatWasAlreadyAccepted(Fixture f) throws Exception {
    byte[] data = Streams.randomBytes(new Random(7), 900_000);
    try (Fixture.Connection c = f.connection(dir)) {
      int off = 0;
      long deadline = Streams.deadline(20);
      // fill as much as the outbound limit takes in one go, then close at once
      while (off < data.length) {
        int n = c.client().writeToStream(data, off, data.length);
        if (n == 0) {
          break;
        }
        off += n;
      }
      assertTrue(off > 0);
      c.client().close();
      byte[] got = Streams.readToDisconnect(c.accepted(), deadline);
      Streams.assertSameBytes(java.util.Arrays.copyOf(data, off), got);
    }
  }

  @OverConformanceFixtures
  void aClosedStreamThrowsAndReportsNothing(Fixture f) throws Exception {
    try (Fixture.Connection c = f.connection(dir)) {
      StreamSocket s = c.client();
      s.close();
      s.close();
      assertTrue(s.isClosed());
      assertThrows(IpcException.class, () -> s.readFromStream(new byte[1]));
      assertThrows(IpcException.class, () -> s.readFromStream(ByteBuffer.allocate(1)));
      assertThrows(IpcException.class, () -> s.writeToStream(new byte[1]));
      assertThrows(IpcException.class, () -> s.writeToStream(ByteBuffer.allocate(1)));
      assertThrows(IpcException.class, () -> s.poll(DATA_AVAILABLE, Timeout.IMMEDIATE));
      assertFalse(s.determined());
      assertFalse(s.connectionSucceeded());
      assertFalse(s.readyToWrite());
      CompletableFuture<Set<SocketEvent>> future = s.whenReady(EnumSet.of(DATA_AVAILABLE));
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof IpcException, String.valueOf(e.getCause()));
    }
  }

  @OverConformanceFixtures
  void byteBufferOverloadsMoveBetweenPositionAndLimit(Fixture f) throws Exception {
    try (Fixture.Connection c = f.connection(dir)) {
      ByteBuffer out = ByteBuffer.allocateDirect(16);
      out.put(new byte[] {1, 2, 3, 4, 5, 6});
      out.flip().position(1).limit(5);
      assertEquals(4, c.client().writeToStream(out));
      assertEquals(5, out.position());
      ByteBuffer in = ByteBuffer.allocate(10);
      in.position(2).limit(4);
      long deadline = Streams.deadline(10);
      while (in.hasRemaining()) {
        Streams.checkDeadline(deadline, "reading into a ByteBuffer");
        if (c.accepted().readFromStream(in) == 0) {
          c.accepted().poll(DATA_AVAILABLE, Timeout.seconds(1));
        }
      }
      assertEquals(4, in.position());
      assertArrayEquals(new byte[] {0, 0, 2, 3, 0, 0, 0, 0, 0, 0}, in.array());
      in.limit(10);
      assertArrayEquals(new byte[] {4, 5}, Streams.readFully(c.accepted(), 2, deadline));
      assertThrows(
          java.nio.ReadOnlyBufferException.class,
          () -> c.accepted().readFromStream(ByteBuffer.allocate(1).asReadOnlyBuffer()));
    }
  }

  @OverConformanceFixtures
  void whenReadyCompletesOnTheEventLoop(Fixture f) throws Exception {
    f.assumeThreaded(
        "it expects completion with no call into the runtime (CallerDrivenConformanceTest checks completion inside the owner's calls)");
    try (Fixture.Connection c = f.connection(dir)) {
      AtomicReference<String> thread = new AtomicReference<>();
      CompletableFuture<Set<SocketEvent>> ready =
          c.accepted()
              .whenReady(EnumSet.of(DATA_AVAILABLE))
              .whenComplete((r, e) -> thread.set(Thread.currentThread().getName()));
      assertFalse(ready.isDone());
      assertEquals(1, c.client().writeToStream(new byte[] {1}));
      assertEquals(EnumSet.of(DATA_AVAILABLE), ready.get(10, TimeUnit.SECONDS));
      assertTrue(thread.get().startsWith("bbipc-"), "completed on " + thread.get());
      // already true: completes without waiting for another change
      assertEquals(
          EnumSet.of(READY_TO_WRITE),
          c.client().whenReady(EnumSet.of(READY_TO_WRITE)).get(10, TimeUnit.SECONDS));
      // closing fails a pending future
      CompletableFuture<Set<SocketEvent>> pending =
          c.client().whenReady(EnumSet.of(DATA_AVAILABLE));
      c.client().close();
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> pending.get(10, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof IpcException);
    }
  }

  @OverConformanceFixtures
  void closingWakesABlockedPoll(Fixture f) throws Exception {
    f.assumeThreaded(
        "the waiting thread is not the owner (CallerDrivenConformanceTest closes under a waiting owner)");
    try (Fixture.Connection c = f.connection(dir)) {
      CompletableFuture<Object> outcome =
          Streams.parkedIn(() -> c.accepted().poll(DATA_AVAILABLE, Timeout.INDEFINITE));
      c.accepted().close();
      Object e = outcome.get(10, TimeUnit.SECONDS);
      assertTrue(e instanceof IpcException, "poll on a closed socket must throw, got " + e);
    }
  }

  @OverConformanceFixtures
  void anInterruptedPollReturnsEmptyAndKeepsTheFlag(Fixture f) throws Exception {
    f.assumeThreaded(
        "the waiting thread is not the owner (CallerDrivenConformanceTest interrupts an owner)");
    try (Fixture.Connection c = f.connection(dir)) {
      Streams.Interrupted r =
          Streams.interruptedWhileParkedIn(
              () -> c.accepted().poll(EnumSet.of(DATA_AVAILABLE), Timeout.INDEFINITE));
      assertEquals(Set.of(), r.returned());
      assertTrue(r.flagKept());
      // an already interrupted thread returns at once too
      Streams.Interrupted again =
          Streams.calledInterrupted(
              () -> c.accepted().poll(EnumSet.of(DATA_AVAILABLE), Timeout.INDEFINITE));
      assertEquals(Set.of(), again.returned());
      assertTrue(again.flagKept());
    }
  }

  @OverConformanceFixtures
  void sixtyFourMebibytesEachWayWithRandomChunks(Fixture f) throws Exception {
    int size = 64 << 20;
    try (Fixture.Connection c = f.connection(dir)) {
      Transfer ab = new Transfer(c.client(), c.accepted(), size, 1);
      Transfer ba = new Transfer(c.accepted(), c.client(), size, 2);
      long deadline = Streams.deadline(120);
      while (!(ab.done() && ba.done())) {
        Streams.checkDeadline(deadline, "64 MiB each way: " + ab + ", " + ba);
        boolean progress = ab.step() | ba.step();
        if (!progress) {
          io.bbipc.BasicBinaryIpc.pollSockets(
              java.util.List.of(c.client(), c.accepted()),
              java.util.List.of(ab.interest(ba), ba.interest(ab)),
              Timeout.seconds(1));
        }
      }
      assertEquals(ab.sentCrc(), ab.receivedCrc());
      assertEquals(ba.sentCrc(), ba.receivedCrc());
    }
  }

  @OverConformanceFixtures
  void aReaderOfOneByteAtATimeGetsTheSameStream(Fixture f) throws Exception {
    byte[] data = Streams.randomBytes(new Random(3), 20_000);
    try (Fixture.Connection c = f.connection(dir)) {
      Streams.writeFully(c.client(), data, Streams.deadline(10));
      byte[] got = new byte[data.length];
      byte[] one = new byte[1];
      long deadline = Streams.deadline(20);
      for (int i = 0; i < got.length; ) {
        if (c.accepted().readFromStream(one) == 1) {
          got[i++] = one[0];
        } else {
          Streams.checkDeadline(deadline, "one byte at a time, at " + i);
          c.accepted().poll(DATA_AVAILABLE, Timeout.seconds(1));
        }
      }
      Streams.assertSameBytes(data, got);
    }
  }

  /** One direction of a random-chunked transfer, stepped without blocking. */
  private static final class Transfer {
    private final StreamSocket from;
    private final StreamSocket to;
    private final int size;
    private final Random random;
    private final byte[] pattern;
    private final byte[] in = new byte[256 * 1024];
    private final java.util.zip.CRC32C sent = new java.util.zip.CRC32C();
    private final java.util.zip.CRC32C received = new java.util.zip.CRC32C();
    private int written;
    private int read;

    Transfer(StreamSocket from, StreamSocket to, int size, long seed) {
      this.from = from;
      this.to = to;
      this.size = size;
      this.random = new Random(seed);
      this.pattern = Streams.randomBytes(random, 1 << 20);
    }

    boolean step() throws IpcException {
      boolean progress = false;
      if (written < size) {
        int len = Math.min(size - written, 1 + random.nextInt(256 * 1024));
        int start = written % (pattern.length - 256 * 1024);
        int n = from.writeToStream(pattern, start, start + len);
        sent.update(pattern, start, n);
        written += n;
        progress |= n > 0;
      }
      if (read < size) {
        int n = to.readFromStream(in, 0, 1 + random.nextInt(in.length));
        received.update(in, 0, n);
        read += n;
        progress |= n > 0;
      }
      return progress;
    }

    Set<SocketEvent> interest(Transfer other) {
      EnumSet<SocketEvent> e = EnumSet.of(REMOTE_DISCONNECTED);
      if (written < size) {
        e.add(READY_TO_WRITE);
      }
      if (other.read < other.size) {
        e.add(DATA_AVAILABLE);
      }
      return e;
    }

    boolean done() {
      return written == size && read == size;
    }

    long sentCrc() {
      return sent.getValue();
    }

    long receivedCrc() {
      return received.getValue();
    }

    @Override
    public String toString() {
      return "written " + written + ", read " + read + " of " + size;
    }
  }
}
