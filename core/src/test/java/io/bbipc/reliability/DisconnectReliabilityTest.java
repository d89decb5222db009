package io.bbipc.reliability;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.BasicBinaryIpc;
import io.bbipc.IpcException;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.OverAllFixtures;
import io.bbipc.conformance.Streams;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue item 1: the peer writes N bytes and closes; we read exactly N before {@code
 * REMOTE_DISCONNECTED} leaves nothing more to read. Every size, both directions (the client writes
 * on even repetitions, the accepted end on odd ones).
 */
public class DisconnectReliabilityTest {
  private static final String SCENARIO = "1 no byte lost at disconnect";
  private static final int MIB4 = 4 << 20;

  @TempDir Path dir;

  @OverAllFixtures
  void everyByteWrittenBeforeACloseIsRead(Fixture f) throws Exception {
    int[] sizes = {1, 100, 16 * 1024, MIB4};
    int[] reps = {1000, 1000, 1000, Rel.size(16, 1000)};
    Rel.Pattern pattern = new Rel.Pattern(1);
    byte[] buf = new byte[256 * 1024];
    List<String> problems = new ArrayList<>();
    try (StreamServer server = f.makeServer(dir)) {
      for (int s = 0; s < sizes.length; s++) {
        int n = sizes[s];
        long shortReads = 0;
        long bytesLost = 0;
        long started = System.nanoTime();
        for (int rep = 0; rep < reps[s]; rep++) {
          long got = transferAndClose(f, server, pattern, n, rep % 2 == 0, buf, problems);
          if (got < n) {
            shortReads++;
            bytesLost += n - got;
            problems.add(n + " B, repetition " + rep + ": read " + got);
          }
        }
        long elapsed = System.nanoTime() - started;
        Rel.figure(
            SCENARIO,
            f,
            n + " B x " + reps[s] + " short reads",
            shortReads
                + " (bytes lost "
                + bytesLost
                + ", "
                + Rel.ms(elapsed / reps[s])
                + " per connection)");
        assertEquals(0, shortReads, () -> "short reads: " + problems);
      }
    }
    assertTrue(problems.isEmpty(), () -> problems.toString());
  }

  /** One connection: the writer writes {@code n} bytes and closes; returns what the reader got. */
  private static long transferAndClose(
      Fixture f,
      StreamServer server,
      Rel.Pattern pattern,
      int n,
      boolean clientWrites,
      byte[] buf,
      List<String> problems)
      throws IpcException {
    StreamSocket client = f.connect(server);
    StreamSocket accepted = null;
    try {
      assertTrue(server.poll(CONNECTION_AVAILABLE, Fixture.WAIT), "no connection to accept");
      accepted = server.acceptConnection();
      StreamSocket writer = clientWrites ? client : accepted;
      StreamSocket reader = clientWrites ? accepted : client;
      long written = 0;
      long read = 0;
      boolean closed = false;
      long deadline = Streams.deadline(60);
      while (true) {
        boolean progress = false;
        if (!closed) {
          if (written < n) {
            int len = (int) Math.min(n - written, Rel.Pattern.MAX_SLICE);
            int start = pattern.start(written);
            int k = writer.writeToStream(pattern.bytes, start, start + len);
            written += k;
            progress = k > 0;
          }
          if (written == n) {
            writer.close();
            closed = true;
          }
        }
        int r = reader.readFromStream(buf);
        if (r > 0) {
          if (!pattern.matches(read, buf, 0, r)) {
            problems.add(
                n + " B: bytes " + read + ".." + (read + r) + " differ from what was sent");
          }
          read += r;
          progress = true;
        } else if (reader.remoteDisconnected()) {
          // bytes are buffered before REMOTE_DISCONNECTED is set: one more read settles it
          r = reader.readFromStream(buf);
          if (r == 0) {
            break;
          }
          if (!pattern.matches(read, buf, 0, r)) {
            problems.add(
                n + " B: bytes " + read + ".." + (read + r) + " differ from what was sent");
          }
          read += r;
          progress = true;
        }
        if (!progress) {
          Streams.checkDeadline(deadline, n + " B: written " + written + ", read " + read);
          Set<SocketEvent> readerEvents = EnumSet.of(DATA_AVAILABLE, REMOTE_DISCONNECTED);
          if (closed) {
            reader.poll(readerEvents, Timeout.seconds(1));
          } else {
            BasicBinaryIpc.pollSockets(
                List.of(writer, reader),
                List.of(EnumSet.of(READY_TO_WRITE, REMOTE_DISCONNECTED), readerEvents),
                Timeout.seconds(1));
          }
        }
      }
      if (read > n) {
        problems.add(n + " B: read " + read + " bytes, more than were written");
      }
      return read;
    } finally {
      client.close();
      if (accepted != null) {
        accepted.close();
      }
    }
  }
}
