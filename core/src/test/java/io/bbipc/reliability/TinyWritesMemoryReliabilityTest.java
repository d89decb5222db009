package io.bbipc.reliability;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.OverAllFixtures;
import io.bbipc.conformance.Streams;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue item 6, bounded memory, for a peer that sends one byte per write: the inbound limit counts
 * bytes, but each byte that arrives alone is kept in a read buffer of its own, whose capacity (and
 * object overhead) is many times the byte. Memory is counted as in {@link
 * BoundedMemoryReliabilityTest}: a counting allocator installed through the pipeline hook.
 */
public class TinyWritesMemoryReliabilityTest {
  private static final String SCENARIO = "6 bounded memory";
  private static final int ONE_READ = 64 * 1024;

  @TempDir Path dir;

  @OverAllFixtures
  void tinyWritesWeNeverReadHoldNoMoreMemoryThanTheInboundLimit(Fixture f) throws Exception {
    int inbound = 16 * 1024;
    int count = inbound - 1; // one byte short of the limit: reading never pauses
    UnpooledByteBufAllocator readerAlloc = Rel.countingAllocator();
    try (Ipc readerIpc =
            Rel.runtime(f, f.serverTransport(), inbound, Ipc.DEFAULT_BUFFER_LIMIT, readerAlloc);
        Ipc writerIpc =
            Rel.runtime(
                f, f.clientTransport(), Ipc.DEFAULT_BUFFER_LIMIT, Ipc.DEFAULT_BUFFER_LIMIT);
        StreamServer server = f.makeServer(readerIpc, dir.resolve("t.sock"));
        StreamSocket writer = f.connect(writerIpc, server)) {
      assertTrue(server.poll(CONNECTION_AVAILABLE, Fixture.WAIT));
      StreamSocket we = server.acceptConnection();
      assertTrue(writer.poll(CONNECTION_SUCCEEDED, Fixture.WAIT));
      Rel.gc();
      long heap0 = Rel.heapUsed();
      byte[] one = {42};
      long deadline = Streams.deadline(60);
      for (int i = 0; i < count; ) {
        if (writer.writeToStream(one) == 1) {
          i++;
        } else {
          Streams.checkDeadline(deadline, "1-byte writes, " + i + " done");
          writer.poll(READY_TO_WRITE, Timeout.seconds(1));
        }
      }
      byte[] peek = new byte[inbound * 2];
      int buffered;
      while ((buffered = we.readFromStream(peek, 0, peek.length, true)) < count) {
        Streams.checkDeadline(deadline, "1-byte writes to arrive, " + buffered + " so far");
        Rel.step();
      }
      long held = Rel.held(readerAlloc);
      Rel.gc();
      long heap = Rel.heapUsed() - heap0;
      long bound = inbound + ONE_READ;
      Rel.figure(
          SCENARIO,
          f,
          "16 Ki one-byte writes never read (inbound limit 16 KiB): the reader holds",
          Rel.kib(buffered)
              + " buffered in "
              + Rel.kib(held)
              + " of buffers ("
              + String.format(java.util.Locale.ROOT, "%.1f", (double) held / buffered)
              + " bytes per byte; bound "
              + Rel.kib(bound)
              + "), heap +"
              + Rel.mib(heap)
              + " (not asserted)");
      assertTrue(
          held <= bound,
          "one-byte writes: "
              + Rel.kib(buffered)
              + " buffered bytes hold "
              + Rel.kib(held)
              + " of buffers, over the inbound limit + one read ("
              + Rel.kib(bound)
              + ")");
    }
  }
}
