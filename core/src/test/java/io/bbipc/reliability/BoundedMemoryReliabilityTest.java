package io.bbipc.reliability;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.BasicBinaryIpc;
import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.OverAllFixtures;
import io.bbipc.conformance.Streams;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue item 6: bounded memory. A writer whose peer never reads stops at its outbound limit and
 * resumes within 100 ms of the peer reading; a flood we never read stays within the inbound limit
 * and arrives whole once we read; 100 stalled connections hold no more than their limits.
 *
 * <p>How memory is measured: each runtime's channels allocate from a counting allocator of their
 * own (Netty's unpooled allocator, installed through the public {@code Ipc.Builder.pipeline} hook
 * before any byte moves), whose metric is the capacity of the buffers alive now: exactly what bbipc
 * holds, direct and heap. The default adaptive pool would be no measure: it reserves direct memory
 * in chunks and keeps them after release, so its {@code usedDirectMemory} moves in chunk steps and
 * not at all when a reserved chunk is reused. Netty's own count of direct memory ({@code
 * PlatformDependent.usedDirectMemory}) and the JVM heap are printed beside it; the heap is not
 * asserted, as it also holds what the JIT, JUnit and at PARANOID the leak detector's traces take
 * meanwhile.
 */
public class BoundedMemoryReliabilityTest {
  private static final String SCENARIO = "6 bounded memory";
  private static final int ONE_WRITE = 256 * 1024;

  /** The most one socket read adds past the inbound limit, as the issue states it. */
  private static final int ONE_READ = 64 * 1024;

  @TempDir Path dir;

  /** Writes until the stream takes nothing for 200 ms; returns the bytes it took. */
  private static long floodUntilStalled(StreamSocket w, Rel.Pattern p, long from, int chunk)
      throws IpcException {
    long written = from;
    long deadline = Streams.deadline(60);
    while (true) {
      Streams.checkDeadline(deadline, "the writer to stall, " + written + " bytes in");
      int start = p.start(written);
      int n = w.writeToStream(p.bytes, start, start + chunk);
      written += n;
      if (n == 0 && !w.poll(READY_TO_WRITE, Timeout.seconds(0.2))) {
        return written - from;
      }
    }
  }

  /**
   * Reads into the pattern check until {@code total} bytes have come; returns the first bad offset
   * or -1.
   */
  private static long readAll(StreamSocket r, Rel.Pattern p, long total, double seconds)
      throws IpcException {
    byte[] buf = new byte[256 * 1024];
    long read = 0;
    long bad = -1;
    long deadline = Streams.deadline(seconds);
    while (read < total) {
      int n = r.readFromStream(buf);
      if (n == 0) {
        Streams.checkDeadline(deadline, "reading " + total + " bytes, " + read + " so far");
        r.poll(DATA_AVAILABLE, Timeout.seconds(1));
        continue;
      }
      if (bad < 0 && !p.matches(read, buf, 0, n)) {
        bad = read;
      }
      read += n;
    }
    return read == total ? bad : Math.max(bad, total);
  }

  @OverAllFixtures
  void aWriterWhosePeerNeverReadsStopsAtItsLimitAndResumesWithin100Ms(Fixture f) throws Exception {
    f.assumeThreaded("the peer reads on another thread than the owner");
    int outbound = Ipc.DEFAULT_BUFFER_LIMIT;
    int peerInbound = 64 * 1024;
    UnpooledByteBufAllocator writerAlloc = Rel.countingAllocator();
    UnpooledByteBufAllocator readerAlloc = Rel.countingAllocator();
    try (Ipc writerIpc =
            Rel.runtime(f, f.clientTransport(), Ipc.DEFAULT_BUFFER_LIMIT, outbound, writerAlloc);
        Ipc readerIpc =
            Rel.runtime(
                f, f.serverTransport(), peerInbound, Ipc.DEFAULT_BUFFER_LIMIT, readerAlloc);
        Fixture.Connection c = f.connection(readerIpc, writerIpc, dir)) {
      StreamSocket writer = c.client();
      StreamSocket reader = c.accepted();
      Rel.Pattern pattern = new Rel.Pattern(61);
      Rel.gc();
      long netty0 = Rel.nettyDirect();
      long heap0 = Rel.heapUsed();
      long accepted = floodUntilStalled(writer, pattern, 0, ONE_WRITE);
      for (int i = 0; i < 3; i++) {
        int start = pattern.start(accepted);
        assertEquals(
            0,
            writer.writeToStream(pattern.bytes, start, start + ONE_WRITE),
            "writeToStream took bytes past the outbound limit");
      }
      long held = Rel.held(writerAlloc);
      long netty = Rel.nettyDirect() - netty0;
      Rel.gc();
      long heap = Rel.heapUsed() - heap0;
      Rel.figure(
          SCENARIO,
          f,
          "writer, peer never reads: writeToStream returns 0 after",
          Rel.mib(accepted)
              + " taken (outbound limit "
              + Rel.mib(outbound)
              + ", the rest in kernel buffers)");
      Rel.figure(
          SCENARIO,
          f,
          "writer, peer never reads: memory the writer holds",
          Rel.kib(held)
              + " (bound: limit + one write = "
              + Rel.kib(outbound + ONE_WRITE)
              + "); the peer holds "
              + Rel.kib(Rel.held(readerAlloc))
              + "; Netty-wide direct +"
              + Rel.mib(netty)
              + ", heap +"
              + Rel.mib(heap)
              + " (not asserted)");
      assertTrue(
          held <= outbound + ONE_WRITE,
          "the writer holds " + Rel.kib(held) + ", over " + Rel.kib(outbound + ONE_WRITE));

      // the peer reads again: the writer must be told it may write within 100 ms
      CompletableFuture<Long> drained = new CompletableFuture<>();
      Thread peer =
          new Thread(
              () -> {
                try {
                  drained.complete(readAll(reader, pattern, accepted, 60));
                } catch (Throwable e) {
                  drained.completeExceptionally(e);
                }
              },
              "reliability-reader");
      long gc0 = Rel.gcMillis();
      long t0 = System.nanoTime();
      peer.start();
      assertTrue(writer.poll(READY_TO_WRITE, Fixture.WAIT), "READY_TO_WRITE never came back");
      long raw = System.nanoTime() - t0;
      long gc = Rel.gcMillis() - gc0;
      long took =
          Math.max(
              0,
              raw
                  - java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(
                      gc)); // a GC pause is not bbipc's
      assertEquals(
          -1L, drained.get(60, java.util.concurrent.TimeUnit.SECONDS), "the bytes read differ");
      peer.join(10_000);
      Rel.figure(
          SCENARIO,
          f,
          "writer, peer reads again: READY_TO_WRITE after",
          Rel.ms(took) + (gc > 0 ? " (" + Rel.ms(raw) + " with a " + gc + " ms GC pause)" : ""));
      Rel.timedBound(took, 100_000_000L, f + ": READY_TO_WRITE after the peer read again");
    }
  }

  @OverAllFixtures
  void aFloodWeNeverReadStaysWithinTheInboundLimitAndArrivesWhole(Fixture f) throws Exception {
    int inbound = Ipc.DEFAULT_BUFFER_LIMIT;
    long total = Rel.size(64L << 20, 1L << 30);
    UnpooledByteBufAllocator readerAlloc = Rel.countingAllocator();
    try (Ipc readerIpc =
            Rel.runtime(f, f.serverTransport(), inbound, Ipc.DEFAULT_BUFFER_LIMIT, readerAlloc);
        Ipc writerIpc =
            Rel.runtime(
                f, f.clientTransport(), Ipc.DEFAULT_BUFFER_LIMIT, Ipc.DEFAULT_BUFFER_LIMIT);
        Fixture.Connection c = f.connection(readerIpc, writerIpc, dir)) {
      StreamSocket flooder = c.client();
      StreamSocket we = c.accepted();
      Rel.Pattern pattern = new Rel.Pattern(62);
      byte[] peek = new byte[inbound + (4 << 20)];
      long written = floodUntilStalled(flooder, pattern, 0, ONE_WRITE);
      int buffered = we.readFromStream(peek, 0, peek.length, true);
      long held = Rel.held(readerAlloc);
      Rel.figure(
          SCENARIO,
          f,
          "flood never read: buffered inbound",
          Rel.kib(buffered)
              + " (bound: limit "
              + Rel.kib(inbound)
              + " + "
              + Rel.kib(ONE_READ)
              + ") in buffers of "
              + Rel.kib(held)
              + "; the flooder stalled after "
              + Rel.mib(written));
      assertTrue(
          buffered <= inbound + ONE_READ,
          "buffered " + buffered + " bytes, over the inbound limit " + inbound + " + " + ONE_READ);
      // now read it all, the flooder writing on, and check every byte
      byte[] buf = new byte[256 * 1024];
      long read = 0;
      long maxHeld = held;
      long started = System.nanoTime();
      long deadline = Streams.deadline(Rel.FULL ? 1200 : 120);
      List<StreamSocket> both = List.of(flooder, we);
      while (read < total) {
        Streams.checkDeadline(deadline, "the flood: " + read + " of " + total + " read");
        boolean progress = false;
        if (written < total) {
          int start = pattern.start(written);
          int n =
              flooder.writeToStream(
                  pattern.bytes, start, start + (int) Math.min(ONE_WRITE, total - written));
          written += n;
          progress = n > 0;
        }
        int n = we.readFromStream(buf);
        if (n > 0) {
          assertTrue(pattern.matches(read, buf, 0, n), "bytes differ at " + read);
          read += n;
          progress = true;
        }
        maxHeld = Math.max(maxHeld, Rel.held(readerAlloc));
        if (!progress) {
          Set<SocketEvent> w =
              written < total
                  ? EnumSet.of(READY_TO_WRITE)
                  : EnumSet.of(SocketEvent.REMOTE_DISCONNECTED);
          BasicBinaryIpc.pollSockets(
              both, List.of(w, EnumSet.of(DATA_AVAILABLE)), Timeout.seconds(1));
        }
      }
      assertEquals(total, read);
      Rel.figure(
          SCENARIO,
          f,
          "flood never read, then read",
          Rel.mib(total)
              + " arrived exact in "
              + Rel.ms(System.nanoTime() - started)
              + "; the reader never held more than "
              + Rel.kib(maxHeld));
    }
  }

  /** Reads every stream until none has had a byte for 50 ms. */
  private static void drain(List<StreamSocket> all) throws IpcException {
    byte[] buf = new byte[64 * 1024];
    List<Set<SocketEvent>> readable = Collections.nCopies(all.size(), EnumSet.of(DATA_AVAILABLE));
    long deadline = Streams.deadline(60);
    while (true) {
      Streams.checkDeadline(deadline, "draining the stalled connections");
      long round = 0;
      for (StreamSocket s : all) {
        round += s.readFromStream(buf);
      }
      if (round == 0
          && BasicBinaryIpc.pollSockets(all, readable, Timeout.seconds(0.05)).stream()
              .allMatch(Set::isEmpty)) {
        return;
      }
    }
  }

  /**
   * A runtime with the given limits and allocator whose sockets have 64 KiB kernel buffers: the
   * kernel's share is not what is measured, and with loopback TCP's autotuned buffers 100
   * connections would take some 800 MiB of writing to stall.
   */
  private static Ipc smallKernelBuffers(
      Fixture f, String transport, int limit, UnpooledByteBufAllocator alloc) {
    return f.builder(transport)
        .inboundBufferLimit(limit)
        .outboundBufferLimit(limit)
        .pipeline(
            p -> {
              p.channel().config().setAllocator(alloc);
              p.channel().config().setOption(ChannelOption.SO_RCVBUF, 64 * 1024);
              p.channel().config().setOption(ChannelOption.SO_SNDBUF, 64 * 1024);
            })
        .build();
  }

  @OverAllFixtures
  void aHundredStalledConnectionsHoldNoMoreThanTheirLimits(Fixture f) throws Exception {
    int limit = 64 * 1024;
    int chunk = 16 * 1024;
    int connections = 100;
    List<Fixture.Connection> conns = new ArrayList<>();
    UnpooledByteBufAllocator serverAlloc = Rel.countingAllocator();
    UnpooledByteBufAllocator clientAlloc = Rel.countingAllocator();
    try (Ipc serverIpc = smallKernelBuffers(f, f.serverTransport(), limit, serverAlloc);
        Ipc clientIpc = smallKernelBuffers(f, f.clientTransport(), limit, clientAlloc);
        StreamServer server = f.makeServer(serverIpc, dir.resolve("h.sock"))) {
      List<StreamSocket> all = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        StreamSocket client = f.connect(clientIpc, server);
        assertTrue(server.poll(CONNECTION_AVAILABLE, Fixture.WAIT));
        StreamSocket accepted = server.acceptConnection();
        conns.add(new Fixture.Connection(server, client, accepted));
        all.add(client);
        all.add(accepted);
      }
      for (StreamSocket s : all) {
        assertTrue(s.poll(CONNECTION_SUCCEEDED, Fixture.WAIT));
      }
      Rel.gc();
      long netty0 = Rel.nettyDirect();
      long heap0 = Rel.heapUsed();
      Rel.Pattern pattern = new Rel.Pattern(63);
      long total = 0;
      long deadline = Streams.deadline(120);
      List<Set<SocketEvent>> writable = Collections.nCopies(all.size(), EnumSet.of(READY_TO_WRITE));
      // every end writes round-robin, nobody reads, until no end takes a byte for 200 ms
      while (true) {
        Streams.checkDeadline(deadline, "100 connections to stall, " + total + " bytes in");
        long round = 0;
        for (StreamSocket s : all) {
          round += s.writeToStream(pattern.bytes, 0, chunk);
        }
        total += round;
        if (round == 0) {
          List<Set<SocketEvent>> ready =
              BasicBinaryIpc.pollSockets(all, writable, Timeout.seconds(0.2));
          if (ready.stream().allMatch(Set::isEmpty)) {
            break;
          }
        }
      }
      long held = Rel.held(serverAlloc) + Rel.held(clientAlloc);
      long netty = Rel.nettyDirect() - netty0;
      Rel.gc();
      long heap = Rel.heapUsed() - heap0;
      // per stream: the inbound limit, one read past it, a read buffer partly filled, and the
      // outbound limit with one write on top
      long perConnection = 2L * (limit + ONE_READ + ONE_READ + limit + chunk);
      long bound = connections * perConnection;
      Rel.figure(
          SCENARIO,
          f,
          "100 stalled connections (limits 64 KiB in and out, 16 KiB writes, 64 KiB kernel buffers)",
          Rel.mib(held)
              + " held ("
              + Rel.kib(held / connections)
              + " per connection; bound "
              + Rel.mib(bound)
              + "); Netty-wide direct +"
              + Rel.mib(netty)
              + ", heap +"
              + Rel.mib(heap)
              + " (not asserted); "
              + Rel.mib(total)
              + " written in all");
      assertTrue(
          held <= bound,
          "100 stalled connections hold " + Rel.mib(held) + ", over " + Rel.mib(bound));
      // read everything, so that closing has nothing left to deliver (a close waits for that)
      drain(all);
    } finally {
      for (Fixture.Connection c : conns) {
        c.client().close();
        c.accepted().close();
      }
    }
  }
}
