package io.bbipc.conformance;

import static io.bbipc.conformance.Fixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.IpcStats;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.ServerOptions;
import io.bbipc.ServerStats;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.StreamStats;
import io.bbipc.Timeout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Statistics ({@code StreamSocket.stats()}, {@code StreamServer.stats()}, {@code Ipc.stats()}) and
 * bbipc's JFR events, on every transport, threaded and caller-driven.
 */
public class OperationsConformanceTest {
  private static final int LIMIT = 16 * 1024;

  @TempDir Path dir;

  static List<Fixture> fixtures() {
    List<Fixture> same = new ArrayList<>();
    for (Fixture f : Fixture.all()) {
      if (f.serverTransport().equals(f.clientTransport())) {
        same.add(f);
      }
    }
    return same;
  }

  /**
   * Writes until the reader, which does not read, pauses at its inbound limit; returns what was
   * written.
   */
  private static int writeUntilReadingPauses(
      StreamSocket writer, StreamSocket reader, byte[] data, int written, long deadline)
      throws Exception {
    while (reader.stats().readPauses() == 0) {
      Streams.checkDeadline(
          deadline, "reading to pause: " + reader.stats() + ", " + written + " written");
      written += writer.writeToStream(data, written, data.length);
      // a short wait on the reader, which a caller-driven runtime needs to move at all
      reader.poll(SocketEvent.REMOTE_DISCONNECTED, Timeout.seconds(0.001));
    }
    return written;
  }

  /** Waits for a condition, running the runtime through {@code s} (caller-driven needs calls). */
  private static void await(StreamSocket s, BooleanSupplier done, Supplier<String> what)
      throws Exception {
    long deadline = Streams.deadline(10);
    while (!done.getAsBoolean()) {
      Streams.checkDeadline(deadline, what.get());
      s.poll(SocketEvent.REMOTE_DISCONNECTED, Timeout.seconds(0.01));
    }
  }

  /**
   * Every counter against what the test did: bytes written, sent, received and read, what is
   * buffered each way, short writes, pauses at the inbound limit; the server's accepted and
   * waiting; and the runtime's sums, which keep what closed streams moved.
   */
  @PerFixture
  @MethodSource("fixtures")
  void statisticsCountWhatHappened(Fixture f) throws Exception {
    byte[] data = Streams.randomBytes(new Random(1), 256 * LIMIT);
    try (Ipc ipc =
        f.builder(f.serverTransport())
            .inboundBufferLimit(LIMIT)
            .outboundBufferLimit(LIMIT)
            .build()) {
      StreamServer server = f.newServer(ipc, dir);
      assertEquals(ServerStats.ZERO, server.stats());
      StreamSocket client = f.connect(ipc, server);
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
      assertEquals(new ServerStats(1, 1, 0), server.stats());
      StreamSocket accepted = server.acceptConnection();
      assertEquals(new ServerStats(1, 0, 0), server.stats());
      assertTrue(client.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT));
      assertEquals(StreamStats.ZERO, client.stats());

      // more than the outbound limit in one call: a short write, counted
      int taken = client.writeToStream(data);
      assertTrue(taken > 0 && taken <= LIMIT, "took " + taken);
      assertEquals(taken, client.stats().bytesWritten());
      assertEquals(1, client.stats().shortWrites());
      int written = taken;
      long deadline = Streams.deadline(30);
      // the reader does not read: its buffer fills to the limit and reading pauses
      written = writeUntilReadingPauses(client, accepted, data, written, deadline);
      StreamStats paused = accepted.stats();
      assertEquals(1, paused.readPauses(), paused.toString());
      assertTrue(paused.inboundBuffered() >= LIMIT, paused.toString());
      assertEquals(paused.inboundBuffered(), paused.bytesReceived(), paused.toString());
      assertEquals(0, paused.bytesRead());
      await(
          accepted,
          () -> accepted.stats().readPaused().compareTo(paused.readPaused()) > 0,
          () -> "a pause under way to count its time: " + accepted.stats());

      // now read everything, writing the rest as it goes
      byte[] got = new byte[data.length];
      int read = 0;
      while (read < data.length) {
        Streams.checkDeadline(
            deadline, "moving the bytes: " + written + " written, " + read + " read");
        if (written < data.length) {
          written += client.writeToStream(data, written, data.length);
        }
        read += accepted.readFromStream(got, read, data.length);
        accepted.poll(SocketEvent.DATA_AVAILABLE, Timeout.seconds(0.01));
      }
      Streams.assertSameBytes(data, got);
      await(
          client, () -> client.stats().bytesSent() == data.length, () -> "sent: " + client.stats());
      StreamStats in = accepted.stats();
      StreamStats out = client.stats();
      assertEquals(data.length, in.bytesRead());
      assertEquals(data.length, in.bytesReceived());
      assertEquals(0, in.inboundBuffered());
      assertTrue(in.readPauses() >= 1, in.toString());
      Duration pausedFor = in.readPaused();
      assertTrue(pausedFor.compareTo(paused.readPaused()) > 0, in.toString());
      assertEquals(data.length, out.bytesWritten());
      assertEquals(data.length, out.bytesSent());
      assertEquals(0, out.outboundBuffered());
      assertTrue(out.shortWrites() >= 1, out.toString());
      assertEquals(0, out.bytesRead());
      // a pause that ended stops counting
      assertEquals(pausedFor, accepted.stats().readPaused());

      IpcStats sums = ipc.stats();
      assertEquals(2, sums.openStreams());
      assertEquals(1, sums.openServers());
      assertEquals(2L * data.length, sums.streams().bytesWritten() + sums.streams().bytesRead());
      assertEquals(1, sums.servers().accepted());
      client.close();
      accepted.close();
      IpcStats after = ipc.stats();
      assertEquals(0, after.openStreams());
      assertEquals(
          data.length, after.streams().bytesRead(), "a closed stream's bytes stay counted");
      assertEquals(data.length, after.streams().bytesWritten());
      assertEquals(0, after.streams().inboundBuffered());
      assertEquals(1, after.servers().accepted());
      // from another thread too, even on a caller-driven runtime
      StreamStats elsewhere =
          Streams.join(Streams.onNewThread("reader", accepted::stats), "stats from another thread");
      assertEquals(data.length, elsewhere.bytesRead());
    }
  }

  // ---------------------------------------------------------------- bytes sent, exactly

  /**
   * Looks at a writer's counters again and again: what it sent never falls, and what it holds is
   * exactly what it accepted and has not sent (nothing fails here, so nothing is dropped).
   */
  private static final class SentWatch {
    private final StreamSocket writer;
    private long lastSent;
    int looks;

    SentWatch(StreamSocket writer) {
      this.writer = writer;
    }

    StreamStats look(String when) {
      StreamStats s = writer.stats();
      looks++;
      assertTrue(
          s.outboundBuffered() <= s.bytesWritten(),
          "outboundBuffered "
              + s.outboundBuffered()
              + " is more than was written, "
              + when
              + ": "
              + s);
      assertEquals(
          s.bytesWritten(),
          s.bytesSent() + s.outboundBuffered(),
          "bytesSent + outboundBuffered is not what was written, " + when + ": " + s);
      assertTrue(
          s.bytesSent() >= lastSent,
          "bytesSent fell from " + lastSent + " to " + s.bytesSent() + ", " + when + ": " + s);
      lastSent = s.bytesSent();
      return s;
    }
  }

  /**
   * Moves {@code data} from {@code writer} to {@code reader}, which reads slowly (16 KiB at a time,
   * and only while the writer cannot write), so that writes wait in Netty's buffer behind a full
   * kernel; the writer's counters are looked at after every call.
   */
  private static void moveSlowly(StreamSocket writer, StreamSocket reader, byte[] data)
      throws Exception {
    SentWatch watch = new SentWatch(writer);
    byte[] got = new byte[data.length];
    int written = 0;
    int read = 0;
    long deadline = Streams.deadline(60);
    while (read < data.length) {
      Streams.checkDeadline(deadline, written + " written, " + read + " read: " + writer.stats());
      int n = 0;
      if (written < data.length) {
        n = writer.writeToStream(data, written, Math.min(data.length, written + 65536));
        written += n;
        watch.look("right after a write of " + n + " (" + written + " written)");
      }
      if (n == 0) {
        read += reader.readFromStream(got, read, Math.min(data.length, read + 16384));
      }
      // a short wait on the reader, which a caller-driven runtime needs to move at all
      reader.poll(SocketEvent.REMOTE_DISCONNECTED, Timeout.seconds(0.001));
      watch.look(written + " written, " + read + " read");
    }
    Streams.assertSameBytes(data, got);
    while (writer.stats().bytesSent() < data.length) {
      Streams.checkDeadline(deadline, "the last bytes to be sent: " + writer.stats());
      watch.look("settling");
      writer.poll(SocketEvent.REMOTE_DISCONNECTED, Timeout.seconds(0.01));
    }
    StreamStats settled = watch.look("settled");
    assertEquals(data.length, settled.bytesSent(), settled.toString());
    assertEquals(0, settled.outboundBuffered(), settled.toString());
    assertTrue(watch.looks > 100, "too few looks to tell: " + watch.looks);
  }

  /**
   * bytesSent counts what the kernel took, so it never falls, and outboundBuffered is what waits
   * besides: their sum is what was written at every look, with writes queued behind a full kernel
   * (Netty's own total adds an estimate for each write and each queued entry on top).
   */
  @OverAllFixtures
  void bytesSentNeverFallsAndOutboundBufferedIsNoMoreThanWasWritten(Fixture f) throws Exception {
    try (Ipc serverIpc = f.builder(f.serverTransport()).inboundBufferLimit(LIMIT).build();
        Ipc clientIpc = f.builder(f.clientTransport()).outboundBufferLimit(1 << 20).build();
        Fixture.Connection c = f.connection(serverIpc, clientIpc, dir)) {
      moveSlowly(c.client(), c.accepted(), Streams.randomBytes(new Random(3), 8 << 20));
    }
  }

  /** The same through a handler of the application's between the stream and the transport. */
  @OverAllFixtures
  void bytesSentIsExactThroughAPipelineHandler(Fixture f) throws Exception {
    try (Ipc serverIpc = f.builder(f.serverTransport()).inboundBufferLimit(LIMIT).build();
        Ipc clientIpc =
            f.builder(f.clientTransport())
                .outboundBufferLimit(1 << 20)
                .pipeline(p -> p.addLast(new PassingOn()))
                .build();
        Fixture.Connection c = f.connection(serverIpc, clientIpc, dir)) {
      moveSlowly(c.client(), c.accepted(), Streams.randomBytes(new Random(4), 8 << 20));
    }
  }

  /** An outbound handler that passes every write on as it is. */
  private static final class PassingOn extends io.netty.channel.ChannelOutboundHandlerAdapter {
    @Override
    public void write(
        io.netty.channel.ChannelHandlerContext ctx,
        Object msg,
        io.netty.channel.ChannelPromise promise) {
      ctx.write(msg, promise);
    }
  }

  /**
   * Through TLS the kernel gets other bytes than the stream wrote; a write counts as sent once the
   * handler has had all of it sent, and the counters still never fall and settle at what was
   * written.
   */
  @PerFixture
  @MethodSource("io.bbipc.conformance.Fixture#sameTransport")
  void bytesSentSettlesAtWhatWasWrittenThroughTls(Fixture f) throws Exception {
    io.netty.handler.ssl.SslContext[] tls = EmbeddingConformanceTest.tlsContexts(dir);
    try (Ipc serverIpc =
            f.builder(f.serverTransport())
                .inboundBufferLimit(LIMIT)
                .pipeline(p -> p.addLast(tls[0].newHandler(p.channel().alloc())))
                .build();
        Ipc clientIpc =
            f.builder(f.clientTransport())
                .outboundBufferLimit(1 << 20)
                .pipeline(p -> p.addLast(tls[1].newHandler(p.channel().alloc(), "localhost", 0)))
                .build();
        Fixture.Connection c = f.connection(serverIpc, clientIpc, dir)) {
      moveSlowly(c.client(), c.accepted(), Streams.randomBytes(new Random(5), 4 << 20));
    }
  }

  /**
   * One write far bigger than the kernel takes: the part the kernel took counts as sent at once,
   * though the rest of that write still waits (Netty takes a write off its buffer only when its
   * last byte goes).
   */
  @OverAllFixtures
  void aPartlyWrittenWriteCountsWhatTheKernelTook(Fixture f) throws Exception {
    int size = 32 << 20;
    byte[] data = Streams.randomBytes(new Random(6), size);
    try (Ipc serverIpc = f.builder(f.serverTransport()).inboundBufferLimit(LIMIT).build();
        Ipc clientIpc = f.builder(f.clientTransport()).outboundBufferLimit(size).build();
        Fixture.Connection c = f.connection(serverIpc, clientIpc, dir)) {
      StreamSocket client = c.client();
      StreamSocket accepted = c.accepted();
      assertEquals(size, client.writeToStream(data), "one write of " + size);
      // the reader does not read: it pauses at its limit, and the kernel fills up
      await(
          accepted,
          () -> accepted.stats().readPauses() > 0,
          () -> "reading to pause: " + accepted.stats());
      // then what the kernel took (at least what the reader received) shows as sent
      await(
          accepted,
          () -> {
            StreamStats in = accepted.stats();
            StreamStats out = client.stats();
            return out.bytesSent() > 0 && out.bytesSent() >= in.bytesReceived();
          },
          () ->
              "bytesSent "
                  + client.stats()
                  + " to reach what the reader received "
                  + accepted.stats());
      StreamStats stalled = client.stats();
      assertTrue(
          stalled.outboundBuffered() > 0,
          "precondition: part of the write should wait behind the full kernel: " + stalled);
      assertEquals(size, stalled.bytesSent() + stalled.outboundBuffered(), stalled.toString());
      byte[] got = Streams.readFully(accepted, size, Streams.deadline(60));
      Streams.assertSameBytes(data, got);
      await(client, () -> client.stats().bytesSent() == size, () -> "all sent: " + client.stats());
      assertEquals(0, client.stats().outboundBuffered(), client.stats().toString());
    }
  }

  // ---------------------------------------------------------------- the runtime's sums

  /**
   * Streams open, move bytes and close again and again while another thread takes the runtimes'
   * sums: no sum ever falls (a closing stream's figures join the closed totals as it leaves the
   * open ones).
   */
  @OverAllFixtures
  void theRuntimesSumsNeverFallWhileStreamsClose(Fixture f) throws Exception {
    try (Ipc serverIpc = f.builder(f.serverTransport()).build();
        Ipc clientIpc = f.builder(f.clientTransport()).build()) {
      StreamServer server = f.makeServer(serverIpc, dir.resolve("sums.sock"));
      java.util.concurrent.atomic.AtomicBoolean stop =
          new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.CompletableFuture<List<String>> sampler =
          Streams.onNewThread(
              "sampler",
              () -> {
                List<String> falls = new ArrayList<>();
                IpcStats[] last = {serverIpc.stats(), clientIpc.stats()};
                int samples = 0;
                while (!stop.get() && falls.size() < 10) {
                  Ipc[] ipcs = {serverIpc, clientIpc};
                  for (int i = 0; i < 2; i++) {
                    IpcStats now = ipcs[i].stats();
                    String fell = fell(last[i], now);
                    if (fell != null) {
                      falls.add((i == 0 ? "server" : "client") + " runtime: " + fell);
                    }
                    last[i] = now;
                  }
                  samples++;
                }
                falls.add(0, samples + " samples");
                return falls;
              });
      byte[] ping = Streams.randomBytes(new Random(7), 1000);
      try {
        for (int cycle = 0; cycle < 400; cycle++) {
          StreamSocket client = f.connect(clientIpc, server);
          assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT), "cycle " + cycle);
          StreamSocket accepted = server.acceptConnection();
          assertTrue(client.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT), "cycle " + cycle);
          Streams.writeFully(client, ping, Streams.deadline(10));
          Streams.assertSameBytes(
              ping, Streams.readFully(accepted, ping.length, Streams.deadline(10)));
          Streams.writeFully(accepted, ping, Streams.deadline(10));
          Streams.assertSameBytes(
              ping, Streams.readFully(client, ping.length, Streams.deadline(10)));
          client.close();
          accepted.close();
        }
      } finally {
        stop.set(true);
      }
      List<String> falls = Streams.join(sampler, "the sampler");
      String samples = falls.remove(0);
      assertEquals(List.of(), falls, samples);
      assertEquals(400, serverIpc.stats().servers().accepted());
      assertEquals(
          400L * ping.length * 2,
          clientIpc.stats().streams().bytesWritten() + serverIpc.stats().streams().bytesWritten());
      server.close();
    }
  }

  /** Which counter of the sums fell from {@code before} to {@code after}, or null. */
  private static String fell(IpcStats before, IpcStats after) {
    StreamStats a = before.streams();
    StreamStats b = after.streams();
    long[][] pairs = {
      {a.bytesRead(), b.bytesRead()},
      {a.bytesReceived(), b.bytesReceived()},
      {a.bytesWritten(), b.bytesWritten()},
      {a.bytesSent(), b.bytesSent()},
      {a.readPauses(), b.readPauses()},
      {a.readPaused().toNanos(), b.readPaused().toNanos()},
      {a.shortWrites(), b.shortWrites()},
      {before.servers().accepted(), after.servers().accepted()},
      {before.servers().refused(), after.servers().refused()}
    };
    String[] names = {
      "bytesRead",
      "bytesReceived",
      "bytesWritten",
      "bytesSent",
      "readPauses",
      "readPaused",
      "shortWrites",
      "accepted",
      "refused"
    };
    for (int i = 0; i < pairs.length; i++) {
      if (pairs[i][1] < pairs[i][0]) {
        return names[i] + " fell from " + pairs[i][0] + " to " + pairs[i][1];
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- a pause that ends with a close

  /**
   * A client writes until the accepted stream, which does not read, pauses at its limit; then the
   * accepted stream is closed, and the client waits until it sees that (time passes meanwhile).
   */
  private StreamStats[] pauseThenClose(Fixture f, Ipc serverIpc, Ipc clientIpc) throws Exception {
    try (Fixture.Connection c = f.connection(serverIpc, clientIpc, dir)) {
      byte[] data = Streams.randomBytes(new Random(8), 64 * LIMIT);
      writeUntilReadingPauses(c.client(), c.accepted(), data, 0, Streams.deadline(30));
      c.accepted().close();
      StreamStats atClose = c.accepted().stats();
      assertTrue(
          c.client().poll(SocketEvent.REMOTE_DISCONNECTED, WAIT), "the close to reach the client");
      return new StreamStats[] {atClose, c.accepted().stats()};
    }
  }

  /**
   * A pause that ends with the stream's close stops counting then: its time is what the stream and
   * the runtime's sums report from then on.
   */
  @OverAllFixtures
  void aPauseThatEndsWithACloseStopsCountingThen(Fixture f) throws Exception {
    try (Ipc serverIpc = f.builder(f.serverTransport()).inboundBufferLimit(LIMIT).build();
        Ipc clientIpc = f.builder(f.clientTransport()).build()) {
      StreamStats[] stats = pauseThenClose(f, serverIpc, clientIpc);
      StreamStats atClose = stats[0];
      StreamStats later = stats[1];
      assertEquals(1, atClose.readPauses(), atClose.toString());
      assertTrue(atClose.readPaused().compareTo(Duration.ZERO) > 0, atClose.toString());
      assertEquals(atClose.readPaused(), later.readPaused(), "readPaused went on after the close");
      assertEquals(
          later.readPaused(),
          serverIpc.stats().streams().readPaused(),
          "the runtime's sum and the closed stream disagree");
    }
  }

  /** A pause that ends with the stream's close is recorded, as ended by the close. */
  @OverAllFixtures
  void aPauseThatEndsWithACloseIsRecorded(Fixture f) throws Exception {
    List<RecordedEvent> events = new CopyOnWriteArrayList<>();
    try (RecordingStream rs = new RecordingStream();
        Ipc serverIpc = f.builder(f.serverTransport()).inboundBufferLimit(LIMIT).build();
        Ipc clientIpc = f.builder(f.clientTransport()).build()) {
      rs.setReuse(false);
      rs.enable("io.bbipc.ReadPaused").withThreshold(Duration.ZERO);
      rs.onEvent("io.bbipc.ReadPaused", events::add);
      rs.startAsync();
      pauseThenClose(f, serverIpc, clientIpc);
      long until = Streams.deadline(20);
      while (events.isEmpty()) {
        Streams.checkDeadline(until, "a ReadPaused event for the pause the close ended");
        java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
      }
      RecordedEvent pause = events.get(0);
      assertEquals(1, events.size(), events.toString());
      assertEquals("closed", pause.getString("resumedBecause"), pause.toString());
      assertTrue(pause.getLong("bufferedAtPause") >= LIMIT, pause.toString());
      assertTrue(pause.getLong("bufferedAtResume") >= LIMIT, pause.toString());
      assertFalse(pause.getDuration().isNegative(), pause.toString());
    }
  }

  /** A local server refusing a uid counts it. */
  @PerFixture
  @MethodSource("fixtures")
  void aServerCountsWhomItRefused(Fixture f) throws Exception {
    Assumptions.assumeTrue(
        f.kind() == Fixture.Kind.LOCAL, "uids are checked on local servers only");
    Assumptions.assumeTrue(
        Fixture.provider(f.serverTransport()).hasPeerCredentials(),
        "transport " + f.serverTransport() + " cannot tell who connects");
    int me = (Integer) Files.getAttribute(dir, "unix:uid");
    try (Ipc ipc = f.builder(f.serverTransport()).build()) {
      StreamServer server = f.newServer(ipc, dir, ServerOptions.defaults().allowedPeerUids(me + 1));
      StreamSocket refused = f.connect(ipc, server);
      await(refused, () -> server.stats().refused() == 1, () -> "the refusal: " + server.stats());
      assertEquals(new ServerStats(0, 0, 1), server.stats());
      assertEquals(1, ipc.stats().servers().refused());
    }
  }

  private static List<RecordedEvent> recorded(List<RecordedEvent> events, String name) {
    List<RecordedEvent> found = new ArrayList<>();
    for (RecordedEvent e : events) {
      if (e.getEventType().getName().equals(name)) {
        found.add(e);
      }
    }
    return found;
  }

  /**
   * A recording that enables bbipc's events gets connect (ok and failed, with the cause), accept,
   * read paused/resumed with its duration, remote disconnect with how, and close, each with the
   * kind, transport and addresses.
   */
  @PerFixture
  @MethodSource("fixtures")
  void jfrEventsTellWhatEachSocketDid(Fixture f) throws Exception {
    List<RecordedEvent> events = new CopyOnWriteArrayList<>();
    try (RecordingStream rs = new RecordingStream();
        Ipc ipc = f.builder(f.serverTransport()).inboundBufferLimit(LIMIT).build()) {
      // the events are kept: without this the stream may reuse one object for the next event of
      // its type (it did, and the list held the refused Connect twice and the first one not at all)
      rs.setReuse(false);
      for (String name : List.of("Connect", "Accept", "RemoteDisconnect", "ReadPaused", "Close")) {
        rs.enable("io.bbipc." + name).withThreshold(Duration.ZERO);
        rs.onEvent("io.bbipc." + name, events::add);
      }
      rs.startAsync();
      StreamServer server = f.newServer(ipc, dir);
      StreamSocket[] ends = f.connectAndAccept(ipc, server);
      StreamSocket client = ends[0];
      StreamSocket accepted = ends[1];
      byte[] data = Streams.randomBytes(new Random(2), 256 * LIMIT);
      int written = 0;
      long deadline = Streams.deadline(30);
      written = writeUntilReadingPauses(client, accepted, data, written, deadline);
      byte[] sink = new byte[data.length];
      int read = 0;
      while (read < data.length) {
        Streams.checkDeadline(deadline, "the bytes");
        if (written < data.length) {
          written += client.writeToStream(data, written, data.length);
        }
        read += accepted.readFromStream(sink, read, data.length);
        accepted.poll(SocketEvent.DATA_AVAILABLE, Timeout.seconds(0.01));
      }
      client.close();
      assertTrue(accepted.poll(SocketEvent.REMOTE_DISCONNECTED, WAIT));
      accepted.close();
      // a refused connect: a port that was just free
      StreamServer gone =
          f.kind() == Fixture.Kind.TCP ? ipc.makeIpv4TcpServer("127.0.0.1", 0) : null;
      if (gone != null) {
        int port = ((Ipv4TcpServer) gone).port();
        gone.close();
        StreamSocket refused = ipc.connectToIpv4TcpServer("127.0.0.1", port);
        assertTrue(refused.poll(SocketEvent.DETERMINED, WAIT));
        refused.close();
      }
      server.close();
      String transport = f.serverTransport();
      long until = Streams.deadline(20);
      while (recorded(events, "io.bbipc.Close").size() < (gone != null ? 5 : 3)) {
        Streams.checkDeadline(until, "the Close events: " + events.size() + " events so far");
        accepted.isClosed();
        java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
      }
      String kind = f.kind() == Fixture.Kind.TCP ? "TCP" : "local";
      RecordedEvent connect = recorded(events, "io.bbipc.Connect").get(0);
      assertTrue(connect.getBoolean("succeeded"), connect.toString());
      assertEquals(kind, connect.getString("kind"));
      assertEquals(transport, connect.getString("transport"));
      assertNotNull(connect.getString("remoteAddress"), connect.toString());
      assertNull(connect.getString("cause"));
      RecordedEvent accept = recorded(events, "io.bbipc.Accept").get(0);
      assertEquals(kind, accept.getString("kind"));
      if (f.kind() == Fixture.Kind.TCP) {
        assertEquals(connect.getString("localAddress"), accept.getString("remoteAddress"));
        assertEquals(connect.getString("remoteAddress"), accept.getString("localAddress"));
        RecordedEvent failed = recorded(events, "io.bbipc.Connect").get(1);
        assertFalse(failed.getBoolean("succeeded"), failed.toString());
        assertTrue(
            failed.getString("cause").toLowerCase(java.util.Locale.ROOT).contains("refused"),
            failed.toString());
      }
      RecordedEvent pause = recorded(events, "io.bbipc.ReadPaused").get(0);
      assertTrue(pause.getLong("bufferedAtPause") >= LIMIT, pause.toString());
      assertEquals("drained", pause.getString("resumedBecause"));
      assertFalse(pause.getDuration().isNegative(), pause.toString());
      RecordedEvent gonePeer = recorded(events, "io.bbipc.RemoteDisconnect").get(0);
      // every transport's stream channel stays open at the peer's end of stream (bbipc's own NIO
      // and io_uring local channels too), so bbipc, not the channel, tells why
      String how = gonePeer.getString("how");
      assertTrue(how.startsWith("end of stream"), gonePeer.toString());
      List<RecordedEvent> closes = recorded(events, "io.bbipc.Close");
      assertTrue(
          closes.stream().anyMatch(e -> e.getLong("bytesWritten") == data.length),
          closes.toString());
      assertTrue(
          closes.stream().anyMatch(e -> e.getLong("bytesRead") == data.length), closes.toString());
      assertTrue(
          closes.stream().anyMatch(e -> e.getString("kind").equals(kind + " server")),
          closes.toString());
    }
  }

  /**
   * A recording with the JDK's own settings gets none of bbipc's events: they are off by default.
   */
  @PerFixture
  @MethodSource("fixtures")
  void jfrEventsAreOffUnlessARecordingEnablesThem(Fixture f) throws Exception {
    Path file = dir.resolve("default.jfr");
    try (Recording recording = new Recording(Configuration.getConfiguration("profile"));
        Ipc ipc = f.builder(f.serverTransport()).build()) {
      recording.start();
      // a connection made and closed while recording
      f.connection(ipc, ipc, dir).close();
      recording.stop();
      recording.dump(file);
    }
    int ours = 0;
    int all = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      all++;
      if (e.getEventType().getName().startsWith("io.bbipc.")) {
        ours++;
      }
    }
    assertTrue(all > 0, "the recording recorded nothing at all");
    assertEquals(0, ours);
  }
}
