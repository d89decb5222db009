package io.bbipc.reliability;

import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bbipc.BasicBinaryIpc;
import io.bbipc.IpcException;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.OverAllFixtures;
import io.bbipc.conformance.Streams;
import io.netty.util.ResourceLeakDetector;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue item 5: integrity. Both directions at once, random write and read sizes from 1 B to 256 KiB
 * (log-uniform, so small ones are common), through the array and both kinds of ByteBuffer
 * overloads; CRC32C and a byte-by-byte comparison of everything. CI moves 64 MiB each way per pair;
 * {@code -Dbbipc.reliability.full=true} moves 1 GiB. A reader of one byte at a time gets the same
 * stream.
 */
public class IntegrityReliabilityTest {
  private static final String SCENARIO = "5 integrity";
  private static final int MAX = 256 * 1024;

  @TempDir Path dir;

  /** 1 to 256 KiB, log-uniform. */
  static int randomSize(Random r) {
    int bits = r.nextInt(19); // 2^0 .. 2^18
    int size = (1 << bits) + r.nextInt(1 << bits);
    return Math.max(1, Math.min(MAX, size));
  }

  /** One direction: random writes of pattern bytes, random reads checked against it. */
  private static final class Direction {
    final StreamSocket from;
    final StreamSocket to;
    final long size;
    final Rel.Pattern pattern;
    final Random random;
    final CRC32C sent = new CRC32C();
    final CRC32C received = new CRC32C();
    final byte[] in = new byte[MAX];
    final ByteBuffer heapIn = ByteBuffer.allocate(MAX);
    final ByteBuffer directIn = ByteBuffer.allocateDirect(MAX);
    final ByteBuffer directOut = ByteBuffer.allocateDirect(MAX);
    long written;
    long read;
    long mismatchAt = -1;
    long writes;
    long reads;

    Direction(StreamSocket from, StreamSocket to, long size, long seed) {
      this.from = from;
      this.to = to;
      this.size = size;
      this.pattern = new Rel.Pattern(seed);
      this.random = new Random(seed);
    }

    boolean step() throws IpcException {
      boolean progress = false;
      if (written < size) {
        int want = (int) Math.min(size - written, randomSize(random));
        int start = pattern.start(written);
        int n;
        switch (random.nextInt(3)) {
          case 0:
            n = from.writeToStream(pattern.bytes, start, start + want);
            break;
          case 1:
            n = from.writeToStream(ByteBuffer.wrap(pattern.bytes, start, want));
            break;
          default:
            directOut.clear();
            directOut.put(pattern.bytes, start, want).flip();
            n = from.writeToStream(directOut);
            break;
        }
        if (n > 0) {
          sent.update(pattern.bytes, start, n);
          written += n;
          writes++;
          progress = true;
        }
      }
      int want = randomSize(random);
      int n;
      switch (random.nextInt(3)) {
        case 0:
          n = to.readFromStream(in, 0, want);
          break;
        case 1:
          heapIn.clear().limit(want);
          n = to.readFromStream(heapIn);
          System.arraycopy(heapIn.array(), 0, in, 0, n);
          break;
        default:
          directIn.clear().limit(want);
          n = to.readFromStream(directIn);
          directIn.flip().get(in, 0, n);
          break;
      }
      if (n > 0) {
        if (mismatchAt < 0 && !pattern.matches(read, in, 0, n)) {
          mismatchAt = read;
        }
        received.update(in, 0, n);
        read += n;
        reads++;
        progress = true;
      }
      return progress;
    }

    boolean done() {
      return read >= size && written >= size;
    }
  }

  /** What one end waits for: room to write its direction, bytes of the other, or the end. */
  private static Set<SocketEvent> interest(Direction sending, Direction receiving) {
    EnumSet<SocketEvent> e = EnumSet.of(REMOTE_DISCONNECTED);
    if (sending.written < sending.size) {
      e.add(READY_TO_WRITE);
    }
    if (receiving.read < receiving.size) {
      e.add(DATA_AVAILABLE);
    }
    return e;
  }

  @OverAllFixtures
  void bothWaysWithRandomSizesNothingIsLostDuplicatedOrReordered(Fixture f) throws Exception {
    long size = Rel.size(64L << 20, 1L << 30);
    try (Fixture.Connection c = f.connection(dir)) {
      Direction up = new Direction(c.client(), c.accepted(), size, 51);
      Direction down = new Direction(c.accepted(), c.client(), size, 52);
      long started = System.nanoTime();
      long deadline = Streams.deadline(Rel.FULL ? 1800 : 120);
      while (!(up.done() && down.done())) {
        Streams.checkDeadline(
            deadline, "the transfer: up " + up.read + ", down " + down.read + " of " + size);
        boolean progress = up.step() | down.step();
        if (!progress) {
          BasicBinaryIpc.pollSockets(
              List.of(c.client(), c.accepted()),
              List.of(interest(up, down), interest(down, up)),
              Timeout.seconds(1));
        }
      }
      long elapsed = System.nanoTime() - started;
      for (Direction d : List.of(up, down)) {
        String which = d == up ? "client to accepted" : "accepted to client";
        assertEquals(-1, d.mismatchAt, which + ": bytes differ from offset " + d.mismatchAt);
        assertEquals(d.written, d.read, which + ": bytes read");
        assertEquals(d.sent.getValue(), d.received.getValue(), which + ": CRC32C");
        assertEquals(size, d.read, which);
      }
      // nothing more may arrive: no duplicate after the end
      byte[] extra = new byte[16];
      assertEquals(0, c.client().readFromStream(extra));
      assertEquals(0, c.accepted().readFromStream(extra));
      Rel.figure(
          SCENARIO,
          f,
          Rel.mib(size) + " each way, random 1 B..256 KiB",
          "0 bytes lost, duplicated or reordered; CRC32C "
              + Long.toHexString(up.sent.getValue())
              + " / "
              + Long.toHexString(down.sent.getValue())
              + "; "
              + (up.writes + down.writes)
              + " writes, "
              + (up.reads + down.reads)
              + " reads; "
              + String.format(Locale.ROOT, "%.0f MiB/s", 2.0 * size / (1 << 20) / (elapsed / 1e9)));
    }
  }

  @OverAllFixtures
  void aReaderOfOneByteAtATimeGetsTheSameStream(Fixture f) throws Exception {
    int size = Rel.size(1 << 20, 16 << 20);
    Rel.Pattern pattern = new Rel.Pattern(53);
    // At PARANOID (the build's level) the leak detector records a stack trace on every access to
    // a buffer: 10 us per one-byte read. This test is about the stream, so it runs at SIMPLE.
    ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
    try (Fixture.Connection c = f.connection(dir)) {
      long written = 0;
      long read = 0;
      byte[] one = new byte[1];
      CRC32C got = new CRC32C();
      long deadline = Streams.deadline(Rel.FULL ? 600 : 60);
      while (read < size) {
        Streams.checkDeadline(deadline, "one byte at a time, at " + read);
        boolean progress = false;
        if (written < size) {
          int start = pattern.start(written);
          int n =
              c.client()
                  .writeToStream(pattern.bytes, start, start + (int) Math.min(size - written, MAX));
          written += n;
          progress = n > 0;
        }
        // read one byte per call until nothing is buffered
        while (c.accepted().readFromStream(one, 0, 1) == 1) {
          if (one[0] != pattern.bytes[pattern.start(read)]) {
            throw new AssertionError("byte " + read + " differs");
          }
          got.update(one[0]);
          read++;
          progress = true;
        }
        if (!progress) {
          c.accepted().poll(DATA_AVAILABLE, Timeout.seconds(1));
        }
      }
      assertEquals(Pump.crcOfPrefix(pattern, size), got.getValue());
      Rel.figure(
          SCENARIO,
          f,
          "one byte per read",
          Rel.mib(size)
              + ", "
              + size
              + " reads of 1 B, same stream (CRC32C "
              + Long.toHexString(got.getValue())
              + ")");
    } finally {
      ResourceLeakDetector.setLevel(level);
    }
  }
}
