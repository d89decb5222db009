package io.bbipc.conformance;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static io.bbipc.conformance.Fixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.ServerOptions;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.io.TempDir;

/** The inbound and outbound limits hold, and a paused reader always resumes. */
public class BackpressureConformanceTest {
  private static final int LIMIT = 64 * 1024;

  /** One socket read may land on top of the limit before reading pauses. */
  private static final int ONE_READ = 64 * 1024;

  @TempDir Path dir;

  private static Ipc small(Fixture f, String transport, int inbound) {
    return f.builder(transport).inboundBufferLimit(inbound).outboundBufferLimit(LIMIT).build();
  }

  private StreamSocket[] connect(Fixture f, Ipc server, Ipc client, StreamServer[] keep)
      throws Exception {
    StreamServer s = f.makeServer(server, dir.resolve("b.sock"), ServerOptions.defaults());
    keep[0] = s;
    StreamSocket c = f.connect(client, s);
    assertTrue(s.poll(CONNECTION_AVAILABLE, WAIT));
    StreamSocket a = s.acceptConnection();
    assertTrue(c.poll(CONNECTION_SUCCEEDED, WAIT));
    return new StreamSocket[] {c, a};
  }

  @OverConformanceFixtures
  void aFloodStaysWithinTheLimitsAndArrivesWhole(Fixture f) throws Exception {
    try (Ipc server = small(f, f.serverTransport(), LIMIT);
        Ipc client = small(f, f.clientTransport(), LIMIT)) {
      StreamServer[] keep = new StreamServer[1];
      StreamSocket[] ends = connect(f, server, client, keep);
      StreamSocket writer = ends[0];
      StreamSocket reader = ends[1];
      byte[] pattern = Streams.randomBytes(new Random(11), 1 << 20);
      CRC32C sent = new CRC32C();
      long written = 0;
      long deadline = Streams.deadline(30);
      // write without reading until the writer has been refused and stays refused
      while (true) {
        Streams.checkDeadline(deadline, "the flood to stall");
        int start = (int) (written % (pattern.length - 65536));
        int n = writer.writeToStream(pattern, start, start + 65536);
        sent.update(pattern, start, n);
        written += n;
        if (n == 0 && !writer.poll(READY_TO_WRITE, Timeout.seconds(0.2))) {
          break;
        }
      }
      byte[] all = new byte[4 << 20];
      int buffered = reader.readFromStream(all, 0, all.length, true);
      assertTrue(buffered <= LIMIT + ONE_READ, "buffered " + buffered + " bytes, limit " + LIMIT);
      assertTrue(buffered >= LIMIT / 2, "buffered only " + buffered + " bytes");
      // everything arrives once we read
      CRC32C received = new CRC32C();
      long read = 0;
      byte[] in = new byte[8192];
      while (read < written) {
        Streams.checkDeadline(deadline, "draining " + read + " of " + written);
        int n = reader.readFromStream(in);
        received.update(in, 0, n);
        read += n;
        if (n == 0) {
          reader.poll(DATA_AVAILABLE, Timeout.seconds(1));
        }
      }
      assertEquals(written, read);
      assertEquals(sent.getValue(), received.getValue());
      writer.close();
      reader.close();
      keep[0].close();
    }
  }

  @OverConformanceFixtures
  void aTinyInboundLimitNeverStallsTheStream(Fixture f) throws Exception {
    // a 1-byte limit pauses reading after every chunk: the pause/resume race at its worst
    try (Ipc server = small(f, f.serverTransport(), 1);
        Ipc client = small(f, f.clientTransport(), 1)) {
      StreamServer[] keep = new StreamServer[1];
      StreamSocket[] ends = connect(f, server, client, keep);
      int size = 4 << 20;
      byte[] data = Streams.randomBytes(new Random(5), size);
      Random random = new Random(6);
      int off = 0;
      int read = 0;
      byte[] in = new byte[size];
      long deadline = Streams.deadline(60);
      while (read < size) {
        Streams.checkDeadline(deadline, "written " + off + ", read " + read);
        if (off < size) {
          off +=
              ends[0].writeToStream(data, off, Math.min(size, off + 1 + random.nextInt(100_000)));
        }
        int n = ends[1].readFromStream(in, read, Math.min(size, read + 1 + random.nextInt(3000)));
        read += n;
        if (n == 0) {
          ends[1].poll(DATA_AVAILABLE, Timeout.seconds(1));
        }
      }
      Streams.assertSameBytes(data, in);
      ends[0].close();
      ends[1].close();
      keep[0].close();
    }
  }

  @OverConformanceFixtures
  void oneWriteTakesExactlyTheOutboundLimit(Fixture f) throws Exception {
    try (Ipc server = small(f, f.serverTransport(), LIMIT);
        Ipc client = f.builder(f.clientTransport()).outboundBufferLimit(4096).build()) {
      StreamServer[] keep = new StreamServer[1];
      StreamSocket[] ends = connect(f, server, client, keep);
      assertEquals(4096, ends[0].writeToStream(new byte[8192]));
      assertEquals(4096, Streams.readFully(ends[1], 4096, Streams.deadline(10)).length);
      ends[0].close();
      ends[1].close();
      keep[0].close();
    }
  }
}
