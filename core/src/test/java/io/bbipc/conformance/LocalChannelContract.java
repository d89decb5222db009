package io.bbipc.conformance;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.LocalServer;
import io.bbipc.LocalStream;
import io.bbipc.ServerOptions;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Edge cases of a transport's local (Unix domain) channels that bbipc made its own to keep sending
 * after the peer's end-of-stream: end-of-stream with half-closure at and around the inbound limit,
 * shutting the output down with much queued, resets, descriptors, and the event loop's read
 * interest once the input has ended. Peers are plain JDK Unix domain sockets. A transport's test
 * extends it and says how to make its channels and look into them.
 *
 * <p>Every wait is bounded by a deadline; a polling step parks for a millisecond at most.
 */
public abstract class LocalChannelContract {
  private static final Timeout WAIT = Timeout.seconds(10);
  private static final double DEADLINE_SECONDS = 60;

  /**
   * Returns the transport's name, as given to {@code Ipc.Builder.transport}.
   *
   * @return the name
   */
  protected abstract String transport();

  /**
   * Makes an event loop group of one thread of the transport.
   *
   * @param turns where the group counts its loop's turns, if it can
   * @return the group
   */
  protected abstract EventLoopGroup newLoopGroup(AtomicLong turns);

  /**
   * Makes an unconnected local stream channel of the transport.
   *
   * @return the channel
   */
  protected abstract DuplexChannel newChannel();

  /**
   * Returns what the channel waits for, as {@link SelectionKey} bits ({@code OP_READ}, {@code
   * OP_WRITE}), read on its event loop.
   *
   * @param ch a channel of the transport
   * @return the bits
   */
  protected abstract int interestOps(Channel ch);

  /**
   * Returns a count that grows while the event loop works for the channel: its loop's turns, or the
   * waits it asked of the kernel.
   *
   * @param ch a channel of the transport
   * @param turns what the channel's group counted, if it could
   * @return the count
   */
  protected abstract long work(Channel ch, AtomicLong turns);

  @TempDir Path dir;

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      try {
        toClose.get(i).close();
      } catch (Exception ignored) {
        // the test has its verdict already
      }
    }
    toClose.clear();
  }

  private <T extends AutoCloseable> T closing(T resource) {
    toClose.add(resource);
    return resource;
  }

  // ------------------------------------------------------------------ the peer ends its output

  /**
   * A JDK peer sends 1 MiB through an inbound limit of 1 KiB and then shuts its output down: the
   * stream gets every byte, REMOTE_DISCONNECTED only once the last byte has been received, one
   * ChannelInputShutdownEvent after the last byte, and the peer then reads a whole answer.
   */
  @Test
  void aPeerSendingFarPastATinyInboundLimitThenEndingIsReadExactlyAndAnswered() throws Exception {
    Recorder recorder = new Recorder();
    Ipc ipc = closing(ipc(b -> b.inboundBufferLimit(1024).pipeline(recorder::install)));
    LocalServer server =
        closing(
            ipc.makeLocalServer(
                dir.resolve("limit.sock"), ServerOptions.defaults().halfClosure(true)));
    SocketChannel peer = closing(connectPeer(server.localPathname()));
    StreamSocket accepted = closing(accept(server));
    byte[] request = random(1, 1 << 20);

    sendThenEnd(peer, accepted, request, 64 * 1024, 4096);

    assertTrue(accepted.stats().readPauses() > 0, "the inbound limit was never reached");
    assertTrue(accepted.connectionSucceeded(), "a half-closed peer is still connected");
    assertTrue(accepted.poll(READY_TO_WRITE, WAIT), "not writable after the peer's end-of-stream");
    Recorder.Record rec = recorder.only();
    assertEquals(1, rec.inputEnds.get(), "ChannelInputShutdownEvent count");
    assertEquals(request.length, rec.bytesAtEnd, "bytes the pipeline saw before the end-of-stream");
    assertEquals(0, rec.bytesAfterEnd.get(), "bytes after the end-of-stream");

    byte[] answer = random(2, 512 * 1024);
    byte[] got = answerThenEnd(accepted, peer, answer, true, 8192);
    assertArrayEquals(answer, got);
    assertTrue(recorder.only().awaitInactive(), "the channel did not close after the answer");
    assertEquals(0, rec.eventsAfterInactive.get(), "events after channelInactive");
  }

  /**
   * The peer writes one byte per system call into an inbound limit of one byte (every byte pauses
   * reading, every read resumes it), then ends: every byte, in order, then the end.
   */
  @Test
  void aPeerSendingOneByteAtATimeIntoALimitOfOneByteThenEnding() throws Exception {
    Recorder recorder = new Recorder();
    Ipc ipc = closing(ipc(b -> b.inboundBufferLimit(1).pipeline(recorder::install)));
    LocalServer server =
        closing(
            ipc.makeLocalServer(
                dir.resolve("one.sock"), ServerOptions.defaults().halfClosure(true)));
    SocketChannel peer = closing(connectPeer(server.localPathname()));
    StreamSocket accepted = closing(accept(server));
    byte[] request = random(3, 3000);

    sendThenEnd(peer, accepted, request, 1, 1);

    assertTrue(accepted.stats().readPauses() > 0, "a limit of one byte never paused reading");
    Recorder.Record rec = recorder.only();
    assertEquals(1, rec.inputEnds.get(), "ChannelInputShutdownEvent count");
    assertEquals(request.length, rec.bytesAtEnd, "bytes the pipeline saw before the end-of-stream");
    byte[] answer = random(4, 70_000);
    assertArrayEquals(answer, answerThenEnd(accepted, peer, answer, true, 1000));
  }

  /**
   * The peer's end-of-stream reaches the kernel while the stream has stopped reading at its limit;
   * the reader drains in small pieces (many pauses and resumes): after the last resume the
   * end-of-stream is read, after every byte, exactly once.
   */
  @Test
  void anEndOfStreamThatArrivesWhileReadingIsPausedIsSeenAfterTheResume() throws Exception {
    Recorder recorder = new Recorder();
    Ipc ipc = closing(ipc(b -> b.inboundBufferLimit(1024).pipeline(recorder::install)));
    LocalServer server =
        closing(
            ipc.makeLocalServer(
                dir.resolve("paused.sock"), ServerOptions.defaults().halfClosure(true)));
    SocketChannel peer = closing(connectPeer(server.localPathname()));
    StreamSocket accepted = closing(accept(server));
    byte[] request = random(5, 96 * 1024);

    long deadline = deadline();
    ByteBuffer out = ByteBuffer.wrap(request);
    while (out.hasRemaining()) {
      if (peer.write(out) == 0) {
        step(
            deadline,
            "the peer to put "
                + request.length
                + " bytes in the kernel, "
                + out.position()
                + " so far");
      }
    }
    await(deadline, () -> accepted.stats().readPauses() > 0, "the stream to pause at its limit");
    peer.shutdownOutput();
    // the end-of-stream is now in the kernel behind bytes the paused stream has not read
    assertTrue(
        accepted.stats().bytesReceived() < request.length,
        "precondition: the stream should have stopped reading before the end-of-stream");

    byte[] got = readToDisconnect(accepted, request.length, 100, deadline);
    assertArrayEquals(request, got);
    assertTrue(accepted.stats().readPauses() > 1, "draining never paused reading again");
    Recorder.Record rec = recorder.only();
    assertEquals(1, rec.inputEnds.get(), "ChannelInputShutdownEvent count");
    assertEquals(request.length, rec.bytesAtEnd, "bytes the pipeline saw before the end-of-stream");
    assertTrue(accepted.connectionSucceeded(), "a half-closed peer is still connected");
    byte[] answer = random(6, 300_000);
    assertArrayEquals(answer, answerThenEnd(accepted, peer, answer, false, 4096));
    assertEquals(1, rec.inputEnds.get(), "ChannelInputShutdownEvent count after the answer");
  }

  /** A peer that ends at once, nothing sent: with half-closure it is answered, without, closed. */
  @Test
  void aPeerThatEndsAtOnceWithNothingSent() throws Exception {
    Recorder recorder = new Recorder();
    Ipc ipc = closing(ipc(b -> b.pipeline(recorder::install)));
    for (boolean halfClosure : new boolean[] {true, false}) {
      recorder.records.clear();
      try (LocalServer server =
              ipc.makeLocalServer(
                  dir.resolve("empty-" + halfClosure + ".sock"),
                  ServerOptions.defaults().halfClosure(halfClosure));
          SocketChannel peer = connectPeer(server.localPathname())) {
        peer.shutdownOutput();
        try (StreamSocket accepted = accept(server)) {
          assertTrue(
              accepted.poll(REMOTE_DISCONNECTED, WAIT),
              "no end-of-stream, halfClosure " + halfClosure);
          assertFalse(accepted.dataAvailable(), "data from a peer that sent none");
          assertEquals(0, accepted.readFromStream(new byte[16]));
          assertEquals(1, recorder.only().inputEnds.get(), "ChannelInputShutdownEvent count");
          if (halfClosure) {
            assertTrue(accepted.connectionSucceeded(), "a half-closed peer is still connected");
            byte[] answer = random(7, 100_000);
            assertArrayEquals(answer, answerThenEnd(accepted, peer, answer, true, 4096));
          } else {
            assertTrue(
                accepted.connectionFailed(),
                "without half-closure the end-of-stream is a disconnect");
            assertThrows(IpcException.class, () -> accepted.writeToStream(new byte[1]));
            assertArrayEquals(
                new byte[0],
                readPeerToEof(peer, 0, 4096, deadline()),
                "the peer should see bbipc's end-of-stream");
            assertTrue(recorder.only().awaitInactive(), "the channel did not close");
          }
          assertEquals(
              0, recorder.only().eventsAfterInactive.get(), "events after channelInactive");
        }
      }
    }
  }

  /**
   * The connecting side (doConnect, not accept): a JDK server sends and ends; the bbipc client
   * reads everything, stays connected, answers and shuts its own output; the JDK server reads the
   * whole answer and its end.
   */
  @Test
  void aConnectingStreamKeepsSendingAfterItsServersEnd() throws Exception {
    Recorder recorder = new Recorder();
    Ipc ipc =
        closing(ipc(b -> b.halfClosure(true).inboundBufferLimit(4096).pipeline(recorder::install)));
    Path path = dir.resolve("jdk.sock");
    ServerSocketChannel listener = closing(ServerSocketChannel.open(StandardProtocolFamily.UNIX));
    listener.bind(UnixDomainSocketAddress.of(path));
    LocalStream client = closing(ipc.connectToLocalServer(path));
    SocketChannel peer = closing(listener.accept());
    peer.configureBlocking(false);
    assertTrue(client.poll(CONNECTION_SUCCEEDED, WAIT), "did not connect");

    byte[] request = random(8, 200_000);
    sendThenEnd(peer, client, request, 16 * 1024, 8192);
    assertEquals(1, recorder.only().inputEnds.get(), "ChannelInputShutdownEvent count");
    byte[] answer = random(9, 300_000);
    assertArrayEquals(answer, answerThenEnd(client, peer, answer, false, 4096));
    // both directions are done; the stream stays open until closed
    assertFalse(client.isClosed());
    assertTrue(client.connectionSucceeded());
  }

  // ------------------------------------------------------------------ bbipc ends its output

  /**
   * shutdownOutput with 8 MiB still queued for a peer that has not read yet: a slow reader gets
   * every byte and then the end-of-stream; the stream stays connected meanwhile.
   */
  @Test
  void shutdownOutputWithMegabytesQueuedReachesASlowReaderWhole() throws Exception {
    Ipc ipc = closing(ipc(b -> b.outboundBufferLimit(16 << 20)));
    LocalServer server = closing(ipc.makeLocalServer(dir.resolve("queued.sock")));
    SocketChannel peer = closing(connectPeer(server.localPathname()));
    StreamSocket accepted = closing(accept(server));
    byte[] answer = random(10, 8 << 20);

    long deadline = deadline();
    int taken = 0;
    while (taken < answer.length) {
      int n = accepted.writeToStream(answer, taken, Math.min(answer.length, taken + 256 * 1024));
      taken += n;
      if (n == 0) {
        step(deadline, "the stream to take " + answer.length + " bytes, " + taken + " so far");
      }
    }
    accepted.shutdownOutput();
    assertTrue(
        accepted.stats().outboundBuffered() > 1 << 20,
        "precondition: megabytes should still be queued, not "
            + accepted.stats().outboundBuffered());

    byte[] got = readPeerToEof(peer, answer.length, 4096, deadline);
    assertArrayEquals(answer, got);
    assertTrue(accepted.connectionSucceeded(), "the peer has not gone");
    assertEquals(0, accepted.stats().outboundBuffered());
    peer.close();
    assertTrue(accepted.poll(REMOTE_DISCONNECTED, WAIT), "the peer's close was not seen");
  }

  /**
   * Many writes of odd sizes queued behind a peer that does not read, then drained by odd-sized
   * reads: the gathering writes stop part-way through buffers over and over, and every byte still
   * arrives once and in order.
   */
  @Test
  void manySmallWritesSurvivePartialGatheringWrites() throws Exception {
    Ipc ipc = closing(ipc(b -> b.outboundBufferLimit(8 << 20)));
    LocalServer server = closing(ipc.makeLocalServer(dir.resolve("small.sock")));
    SocketChannel peer = closing(connectPeer(server.localPathname()));
    StreamSocket accepted = closing(accept(server));
    byte[] answer = random(11, 3 << 20);
    Random sizes = new Random(12);

    long deadline = deadline();
    int taken = 0;
    while (taken < answer.length) {
      int end = Math.min(answer.length, taken + 1 + sizes.nextInt(700));
      int n = accepted.writeToStream(answer, taken, end);
      taken += n;
      if (n == 0) {
        step(deadline, "the stream to take " + answer.length + " bytes, " + taken + " so far");
      }
    }
    accepted.shutdownOutput();
    assertArrayEquals(answer, readPeerToEof(peer, answer.length, 1777, deadline));
  }

  /**
   * bbipc's channel written to directly: heap, direct, empty and composite buffers and file regions
   * in one flush (the gathering path and the superclass's one-message path take turns), then
   * shutdownOutput; the JDK peer reads them whole, in order, then the end-of-stream.
   */
  @Test
  void mixedBuffersAndFileRegionsArriveInOrder() throws Exception {
    EventLoopGroup group = closingGroup(new AtomicLong());
    Path path = dir.resolve("direct.sock");
    ServerSocketChannel listener = closing(ServerSocketChannel.open(StandardProtocolFamily.UNIX));
    listener.bind(UnixDomainSocketAddress.of(path));
    byte[] fileBytes = random(13, 1 << 20);
    Path file = dir.resolve("region.bin");
    Files.write(file, fileBytes);

    ChannelFuture connected =
        new Bootstrap()
            .group(group)
            .channelFactory(this::newChannel)
            .handler(new ChannelInboundHandlerAdapter())
            .connect(address(path));
    assertTrue(connected.awaitUninterruptibly(10, TimeUnit.SECONDS), "connect did not finish");
    assertTrue(connected.isSuccess(), () -> "connect failed: " + connected.cause());
    DuplexChannel ch = (DuplexChannel) connected.channel();
    closing(() -> ch.close().awaitUninterruptibly(10, TimeUnit.SECONDS));
    SocketChannel peer = closing(listener.accept());
    peer.configureBlocking(false);

    Random random = new Random(14);
    java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
    List<ChannelFuture> writes = new ArrayList<>();
    ch.eventLoop()
        .submit(
            () -> {
              for (int i = 0; i < 400; i++) {
                int kind = i % 5;
                int size = 1 + random.nextInt(20_000);
                byte[] b = new byte[size];
                random.nextBytes(b);
                switch (kind) {
                  case 0 -> writes.add(ch.write(Unpooled.wrappedBuffer(b)));
                  case 1 -> {
                    ByteBuf direct = ch.alloc().directBuffer(size);
                    writes.add(ch.write(direct.writeBytes(b)));
                  }
                  case 2 -> {
                    writes.add(ch.write(Unpooled.EMPTY_BUFFER));
                    b = new byte[0];
                  }
                  case 3 -> {
                    int off = random.nextInt(fileBytes.length - size);
                    writes.add(ch.write(new DefaultFileRegion(file.toFile(), off, size)));
                    b = Arrays.copyOfRange(fileBytes, off, off + size);
                  }
                  default -> {
                    CompositeByteBuf c = ch.alloc().compositeBuffer();
                    int half = size / 2;
                    c.addComponent(true, Unpooled.wrappedBuffer(b, 0, half));
                    c.addComponent(
                        true,
                        ch.alloc().directBuffer(size - half).writeBytes(b, half, size - half));
                    writes.add(ch.write(c));
                  }
                }
                expected.write(b, 0, b.length);
              }
              ch.flush();
            })
        .syncUninterruptibly();

    // Netty's shutdownOutput fails what is still queued, so the end goes once all was written
    long deadline = deadline();
    byte[] got = readPeerExactly(peer, expected.size(), 3000, deadline);
    assertArrayEquals(expected.toByteArray(), got);
    for (ChannelFuture w : writes) {
      assertTrue(w.awaitUninterruptibly(10, TimeUnit.SECONDS), "a write did not complete");
      assertTrue(w.isSuccess(), () -> "a write failed: " + w.cause());
    }
    ChannelFuture shut = ch.shutdownOutput();
    assertTrue(shut.awaitUninterruptibly(10, TimeUnit.SECONDS), "shutdownOutput did not complete");
    assertTrue(shut.isSuccess(), () -> "shutdownOutput failed: " + shut.cause());
    assertEquals(0, readPeerToEof(peer, 0, 3000, deadline).length, "bytes after the last write");
    assertTrue(ch.isOutputShutdown());
    assertFalse(ch.isInputShutdown());
    assertTrue(ch.isActive());
  }

  // ------------------------------------------------------------------ resets

  /**
   * The peer ends its output, is read to the end, then closes with unread bytes in its receive
   * queue (Linux's reset for Unix sockets): the stream's next writes fail with IpcException.
   */
  @Test
  void aPeerThatResetsAfterItsEndFailsLaterWrites() throws Exception {
    Ipc ipc = closing(ipc(b -> b));
    LocalServer server =
        closing(
            ipc.makeLocalServer(
                dir.resolve("reset.sock"), ServerOptions.defaults().halfClosure(true)));
    SocketChannel peer = closing(connectPeer(server.localPathname()));
    StreamSocket accepted = closing(accept(server));
    long deadline = deadline();
    peer.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    peer.shutdownOutput();
    assertArrayEquals(new byte[] {1, 2, 3}, readToDisconnect(accepted, 3, 1024, deadline));
    assertTrue(accepted.connectionSucceeded());
    // bytes the peer will never read, so that its close resets the connection
    assertEquals(4096, accepted.writeToStream(new byte[4096]));
    await(
        deadline, () -> accepted.stats().outboundBuffered() == 0, "the kernel to take 4096 bytes");
    peer.close();

    Streams.writeUntilAWriteFails(accepted, deadline, "a write to the reset peer to fail");
    assertTrue(accepted.remoteDisconnected());
    assertFalse(accepted.connectionSucceeded());
  }

  /**
   * Megabytes queued (so the channel waits for OP_WRITE) when a half-closed peer resets: the stream
   * learns of it without writing again and without hanging.
   */
  @Test
  void aResetWhileMegabytesWaitForOpWriteDisconnectsTheStream() throws Exception {
    Ipc ipc = closing(ipc(b -> b.outboundBufferLimit(4 << 20)));
    LocalServer server =
        closing(
            ipc.makeLocalServer(
                dir.resolve("reset2.sock"), ServerOptions.defaults().halfClosure(true)));
    SocketChannel peer = closing(connectPeer(server.localPathname()));
    StreamSocket accepted = closing(accept(server));
    long deadline = deadline();
    peer.shutdownOutput();
    assertTrue(accepted.poll(REMOTE_DISCONNECTED, WAIT));
    byte[] data = random(15, 3 << 20);
    int taken = 0;
    while (taken < data.length) {
      // in pieces: Netty counts a buffer as sent only once all of it is written
      int n = accepted.writeToStream(data, taken, Math.min(data.length, taken + 64 * 1024));
      taken += n;
      if (n == 0) {
        step(deadline, "the stream to take 3 MiB");
      }
    }
    await(deadline, () -> accepted.stats().bytesSent() > 0, "the first bytes to reach the kernel");
    assertTrue(
        accepted.stats().outboundBuffered() > 0, "precondition: bytes should wait for OP_WRITE");
    peer.close();
    assertTrue(
        accepted
            .poll(EnumSet.of(io.bbipc.SocketEvent.CONNECTION_FAILED), WAIT)
            .contains(io.bbipc.SocketEvent.CONNECTION_FAILED),
        "the reset was not seen");
    assertTrue(accepted.remoteDisconnected());
    assertThrows(IpcException.class, () -> accepted.writeToStream(new byte[1]));
  }

  // ------------------------------------------------------------------ descriptors

  /**
   * Hundreds of connections accepted and ended every way (half-close and answer, the peer's close
   * before accept, bbipc closing first, a reset), connections the server accepted and nobody took,
   * and connects refused at a stale socket file: descriptors come back to the baseline.
   */
  @Test
  void manyConnectionsEndedEveryWayLeaveNoDescriptorBehind() throws Exception {
    Path fds = Path.of("/proc/self/fd");
    Assumptions.assumeTrue(Files.isDirectory(fds), "no /proc/self/fd to count descriptors");
    Ipc ipc = closing(ipc(b -> b.halfClosure(true)));
    LocalServer server =
        closing(
            ipc.makeLocalServer(
                dir.resolve("fds.sock"), ServerOptions.defaults().halfClosure(true)));
    for (int i = 0; i < 8; i++) {
      cycle(ipc, server, i);
    }
    int baseline = openFds();
    for (int i = 0; i < 300; i++) {
      cycle(ipc, server, i);
    }
    // accepted by the server, never taken by the application, then the server closes
    try (LocalServer unused = ipc.makeLocalServer(dir.resolve("untaken.sock"))) {
      List<SocketChannel> peers = new ArrayList<>();
      try {
        for (int i = 0; i < 20; i++) {
          peers.add(connectPeer(unused.localPathname()));
        }
        long deadline = deadline();
        await(deadline, unused::connectionAvailable, "the server to accept");
      } finally {
        for (SocketChannel p : peers) {
          p.close();
        }
      }
    }
    long deadline = deadline();
    int after = openFds();
    while (after > baseline + 2) {
      step(deadline, "descriptors to come back to " + baseline + " (+2), " + after + " open");
      after = openFds();
    }
  }

  private Path stale;

  private void cycle(Ipc ipc, LocalServer server, int i) throws Exception {
    if (stale == null) {
      stale = dir.resolve("stale.sock");
      try (ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        gone.bind(UnixDomainSocketAddress.of(stale));
      }
    }
    long deadline = deadline();
    try (SocketChannel peer = connectPeer(server.localPathname())) {
      switch (i % 5) {
        case 0 -> {
          peer.write(ByteBuffer.wrap(new byte[] {(byte) i}));
          peer.shutdownOutput();
          try (StreamSocket s = accept(server)) {
            assertEquals(1, readToDisconnect(s, 1, 16, deadline).length);
            assertEquals(1, s.writeToStream(new byte[] {(byte) i}));
            s.close();
            assertEquals(1, readPeerToEof(peer, 1, 16, deadline).length);
          }
        }
        case 1 -> {
          peer.close();
          try (StreamSocket s = accept(server)) {
            assertTrue(s.poll(REMOTE_DISCONNECTED, WAIT), "cycle " + i);
          }
        }
        case 2 -> {
          try (StreamSocket s = accept(server)) {
            s.close();
            assertEquals(0, readPeerToEof(peer, 0, 16, deadline).length);
          }
        }
        case 3 -> {
          try (StreamSocket s = accept(server)) {
            assertTrue(s.poll(CONNECTION_SUCCEEDED, WAIT));
            assertEquals(100, s.writeToStream(new byte[100]));
            await(
                deadline, () -> s.stats().outboundBuffered() == 0, "100 bytes to reach the kernel");
            peer.close();
            await(
                deadline,
                () -> {
                  try {
                    s.writeToStream(new byte[100]);
                    return s.connectionFailed();
                  } catch (IpcException e) {
                    return true;
                  }
                },
                "the reset to be seen, cycle " + i);
          }
        }
        default -> {
          // a stale socket file: the connect itself is refused (doConnect's failure path)
          try (StreamSocket s = ipc.connectToLocalServer(stale)) {
            assertTrue(s.poll(io.bbipc.SocketEvent.DETERMINED, WAIT), "cycle " + i);
            assertTrue(s.connectionFailed(), "connected to a stale socket file");
          } catch (IpcException expected) {
            // refused at once; either way the refused channel must be closed
          }
          try (StreamSocket s = accept(server)) {
            s.close();
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------ the event loop after EOF

  /**
   * Once the input has ended the selection key keeps no read interest (a readable end-of-stream
   * under OP_READ would wake the selector forever), and the loop does not wake while nothing
   * happens: after a plain half-close, after an end-of-stream met while paused and resumed, and
   * once bbipc has shut its output down too (no interest left at all).
   */
  @Test
  void theEventLoopIsQuietOnceTheInputHasEnded() throws Exception {
    AtomicLong loops = new AtomicLong();
    EventLoopGroup group = closingGroup(loops);
    Recorder recorder = new Recorder();
    Ipc ipc =
        closing(
            Ipc.builder()
                .eventLoopGroup(group)
                .inboundBufferLimit(1024)
                .pipeline(recorder::install)
                .build());
    LocalServer server =
        closing(
            ipc.makeLocalServer(
                dir.resolve("quiet.sock"), ServerOptions.defaults().halfClosure(true)));

    // a plain half-close
    SocketChannel peer = closing(connectPeer(server.localPathname()));
    StreamSocket accepted = closing(accept(server));
    peer.write(ByteBuffer.wrap(new byte[10]));
    peer.shutdownOutput();
    assertEquals(10, readToDisconnect(accepted, 10, 64, deadline()).length);
    Channel ch = recorder.only().channel;
    assertNoReadInterestAndQuiet(ch, accepted, loops, "after a half-close");

    // the end-of-stream met after a pause and resumes
    recorder.records.clear();
    SocketChannel peer2 = closing(connectPeer(server.localPathname()));
    StreamSocket accepted2 = closing(accept(server));
    byte[] request = random(16, 64 * 1024);
    long deadline = deadline();
    ByteBuffer out = ByteBuffer.wrap(request);
    while (out.hasRemaining()) {
      if (peer2.write(out) == 0) {
        step(deadline, "the peer to put its bytes in the kernel");
      }
    }
    await(deadline, () -> accepted2.stats().readPauses() > 0, "the stream to pause");
    peer2.shutdownOutput();
    assertArrayEquals(request, readToDisconnect(accepted2, request.length, 700, deadline));
    Channel ch2 = recorder.only().channel;
    assertNoReadInterestAndQuiet(ch2, accepted2, loops, "after a paused end-of-stream");

    // bbipc ends its output as well: both directions done, the channel still open
    accepted2.shutdownOutput();
    assertArrayEquals(new byte[0], readPeerToEof(peer2, 0, 64, deadline));
    await(deadline, () -> interestOps(ch2) == 0, "no interest left once both directions are done");
    assertTrue(ch2.isOpen());
    assertNoReadInterestAndQuiet(ch2, accepted2, loops, "with both directions done");
  }

  private void assertNoReadInterestAndQuiet(
      Channel ch, StreamSocket s, AtomicLong loops, String when) throws Exception {
    long deadline = deadline();
    await(
        deadline,
        () -> (interestOps(ch) & SelectionKey.OP_READ) == 0,
        "OP_READ to be cleared " + when + " (interest " + interestOps(ch) + ")");
    assertTrue(ch.isOpen(), "the half-closed channel should stay open " + when);
    // a spinning loop turns thousands of times in this window; a quiet one a handful
    long before = work(ch, loops);
    assertFalse(
        s.poll(DATA_AVAILABLE, Timeout.seconds(0.3)), "data after the end-of-stream " + when);
    long turns = work(ch, loops) - before;
    assertTrue(turns < 1000, "the event loop turned " + turns + " times in a quiet window " + when);
  }

  // ------------------------------------------------------------------ the channel's own API

  /**
   * shutdownInput on a channel that never connected must complete its future (Netty's channels fail
   * it with the JDK's NotYetConnectedException); a future that never completes hangs whoever waits
   * for it.
   */
  @Test
  void shutdownInputOfAChannelThatNeverConnectedCompletesItsFuture() throws Exception {
    DuplexChannel ch = registeredUnconnected();
    ChannelFuture input = ch.shutdownInput();
    assertTrue(
        input.awaitUninterruptibly(10, TimeUnit.SECONDS),
        "shutdownInput of an unconnected channel never completed its future");
    assertFalse(input.isSuccess(), "shutdownInput of an unconnected channel succeeded");
  }

  /** shutdown (both directions) on a channel that never connected must complete its future. */
  @Test
  void shutdownOfAChannelThatNeverConnectedCompletesItsFuture() throws Exception {
    DuplexChannel ch = registeredUnconnected();
    ChannelFuture output = ch.shutdownOutput();
    assertTrue(output.awaitUninterruptibly(10, TimeUnit.SECONDS), "shutdownOutput never completed");
    assertFalse(output.isSuccess(), "shutdownOutput of an unconnected channel succeeded");
    ChannelFuture both = ch.shutdown();
    assertTrue(
        both.awaitUninterruptibly(10, TimeUnit.SECONDS),
        "shutdown of an unconnected channel never completed its future");
    assertFalse(both.isSuccess(), "shutdown of an unconnected channel succeeded");
  }

  private DuplexChannel registeredUnconnected() {
    EventLoopGroup group = closingGroup(new AtomicLong());
    DuplexChannel ch = newChannel();
    ChannelFuture registered = group.register(ch);
    assertTrue(
        registered.awaitUninterruptibly(10, TimeUnit.SECONDS), "registration did not finish");
    assertTrue(registered.isSuccess(), () -> "registration failed: " + registered.cause());
    closing(() -> ch.close().awaitUninterruptibly(10, TimeUnit.SECONDS));
    return ch;
  }

  /** The options bbipc sets and reads, and one the channel does not know (no exception). */
  @Test
  void optionsAreKeptAndAnUnknownOptionIsRefusedQuietly() throws Exception {
    DuplexChannel ch = newChannel();
    try {
      ChannelConfig config = ch.config();
      assertEquals(
          Boolean.FALSE,
          config.getOption(ChannelOption.ALLOW_HALF_CLOSURE),
          "half-closure is off by default, as in Netty");
      assertTrue(config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true));
      assertEquals(Boolean.TRUE, config.getOption(ChannelOption.ALLOW_HALF_CLOSURE));
      assertTrue(config.setOption(ChannelOption.SO_RCVBUF, 65536));
      assertTrue(config.getOption(ChannelOption.SO_RCVBUF) >= 65536);
      assertTrue(config.setOption(ChannelOption.SO_SNDBUF, 65536));
      assertTrue(config.getOption(ChannelOption.SO_SNDBUF) >= 65536);
      assertFalse(
          config.setOption(ChannelOption.TCP_NODELAY, true), "a TCP option on a Unix socket");
      Map<ChannelOption<?>, Object> all = config.getOptions();
      assertEquals(Boolean.TRUE, all.get(ChannelOption.ALLOW_HALF_CLOSURE));
      assertNotNull(all.get(ChannelOption.SO_RCVBUF));
      assertFalse(ch.isActive());
      assertTrue(ch.isInputShutdown() && ch.isOutputShutdown(), "an unconnected channel is shut");
    } finally {
      ch.unsafe().closeForcibly();
    }
    assertFalse(ch.isOpen());
  }

  // ------------------------------------------------------------------ helpers

  private EventLoopGroup closingGroup(AtomicLong turns) {
    EventLoopGroup group = newLoopGroup(turns);
    toClose.add(() -> group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS));
    return group;
  }

  private SocketAddress address(Path path) {
    return Fixture.provider(transport()).localAddress(path);
  }

  private Ipc ipc(java.util.function.UnaryOperator<Ipc.Builder> settings) {
    return settings.apply(Ipc.builder().transport(transport())).build();
  }

  private static SocketChannel connectPeer(Path path) throws IOException {
    SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(path));
    ch.configureBlocking(false);
    return ch;
  }

  private static StreamSocket accept(LocalServer server) throws IpcException {
    assertTrue(server.poll(CONNECTION_AVAILABLE, WAIT), "no connection to accept");
    StreamSocket s = server.acceptConnection();
    assertNotNull(s, "nothing accepted");
    return s;
  }

  private static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static long deadline() {
    return System.nanoTime() + (long) (DEADLINE_SECONDS * 1e9);
  }

  /** One polling step: fails once the deadline has passed, else parks a millisecond. */
  private static void step(long deadline, String what) {
    if (System.nanoTime() - deadline > 0) {
      fail("timed out waiting for " + what);
    }
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
  }

  private interface IoCondition {
    boolean test() throws Exception;
  }

  private static void await(long deadline, IoCondition condition, String what) throws Exception {
    while (!condition.test()) {
      step(deadline, what);
    }
  }

  /**
   * The peer writes {@code data} in writes of at most {@code peerChunk} bytes, then shuts its
   * output down, while the stream reads in pieces of {@code readChunk}: the bytes must match, and
   * when REMOTE_DISCONNECTED first holds every byte must have been received already.
   */
  private static void sendThenEnd(
      SocketChannel peer, StreamSocket s, byte[] data, int peerChunk, int readChunk)
      throws Exception {
    long deadline = deadline();
    int sent = 0;
    boolean ended = false;
    int received = 0;
    boolean sawEnd = false;
    byte[] buf = new byte[readChunk];
    while (true) {
      boolean progress = false;
      if (sent < data.length) {
        int n = peer.write(ByteBuffer.wrap(data, sent, Math.min(peerChunk, data.length - sent)));
        sent += n;
        progress = n > 0;
      } else if (!ended) {
        peer.shutdownOutput();
        ended = true;
      }
      // asked before reading: whatever is read after it must have been received before it
      boolean end = s.remoteDisconnected();
      if (end && !sawEnd) {
        sawEnd = true;
        assertTrue(ended, "REMOTE_DISCONNECTED before the peer ended its output");
        assertEquals(
            data.length,
            s.stats().bytesReceived(),
            "REMOTE_DISCONNECTED before the last byte was received");
        assertTrue(s.connectionSucceeded(), "a half-closed peer is still connected");
      }
      int n = s.readFromStream(buf);
      if (n > 0) {
        assertTrue(received + n <= data.length, "more bytes than were sent");
        int at = Arrays.mismatch(buf, 0, n, data, received, received + n);
        assertEquals(-1, at, "bytes differ at offset " + (received + at));
        received += n;
        progress = true;
      } else if (sawEnd && received == data.length) {
        return;
      }
      if (!progress) {
        if (System.nanoTime() - deadline > 0) {
          fail(
              "timed out: sent "
                  + sent
                  + ", received "
                  + received
                  + " of "
                  + data.length
                  + ", end seen "
                  + sawEnd);
        }
        s.poll(EnumSet.of(DATA_AVAILABLE, REMOTE_DISCONNECTED), Timeout.seconds(0.005));
      }
    }
  }

  /** Reads until REMOTE_DISCONNECTED holds and nothing is left, in pieces of {@code chunk}. */
  private static byte[] readToDisconnect(StreamSocket s, int expected, int chunk, long deadline)
      throws Exception {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] buf = new byte[chunk];
    while (true) {
      boolean end = s.remoteDisconnected();
      if (end) {
        assertEquals(
            expected, s.stats().bytesReceived(), "REMOTE_DISCONNECTED before the last byte");
      }
      int n = s.readFromStream(buf);
      if (n > 0) {
        out.write(buf, 0, n);
        continue;
      }
      if (end) {
        return out.toByteArray();
      }
      if (System.nanoTime() - deadline > 0) {
        fail("timed out reading to the end, " + out.size() + " of " + expected + " bytes");
      }
      s.poll(EnumSet.of(DATA_AVAILABLE, REMOTE_DISCONNECTED), Timeout.seconds(0.01));
    }
  }

  /**
   * The stream writes {@code answer} then closes ({@code close}) or shuts its output down, while
   * the peer reads in pieces of {@code chunk} until its end-of-stream; returns what it read.
   */
  private static byte[] answerThenEnd(
      StreamSocket s, SocketChannel peer, byte[] answer, boolean close, int chunk)
      throws Exception {
    long deadline = deadline();
    java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
    ByteBuffer in = ByteBuffer.allocate(chunk);
    int written = 0;
    boolean ended = false;
    while (true) {
      boolean progress = false;
      if (written < answer.length) {
        int n = s.writeToStream(answer, written, Math.min(answer.length, written + 64 * 1024));
        written += n;
        progress = n > 0;
      } else if (!ended) {
        if (close) {
          s.close();
        } else {
          s.shutdownOutput();
        }
        ended = true;
      }
      in.clear();
      int r = peer.read(in);
      if (r < 0) {
        assertTrue(ended, "the peer saw an end-of-stream before the stream ended");
        return got.toByteArray();
      }
      if (r > 0) {
        got.write(in.array(), 0, r);
        assertTrue(got.size() <= answer.length, "the peer read more than was written");
        progress = true;
      }
      if (!progress) {
        step(
            deadline,
            "the answer: "
                + written
                + " written, "
                + got.size()
                + " of "
                + answer.length
                + " read by the peer");
      }
    }
  }

  /** The peer reads exactly {@code n} bytes, in pieces of at most {@code chunk}. */
  private static byte[] readPeerExactly(SocketChannel peer, int n, int chunk, long deadline)
      throws IOException {
    byte[] got = new byte[n];
    int off = 0;
    while (off < n) {
      int r = peer.read(ByteBuffer.wrap(got, off, Math.min(chunk, n - off)));
      if (r < 0) {
        fail("end-of-stream after " + off + " of " + n + " bytes");
      }
      off += r;
      if (r == 0) {
        step(deadline, "the peer to read " + n + " bytes, " + off + " so far");
      }
    }
    return got;
  }

  /** The peer reads in pieces of {@code chunk} until its end-of-stream. */
  private static byte[] readPeerToEof(SocketChannel peer, int expected, int chunk, long deadline)
      throws IOException {
    java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
    ByteBuffer in = ByteBuffer.allocate(chunk);
    while (true) {
      in.clear();
      int r = peer.read(in);
      if (r < 0) {
        return got.toByteArray();
      }
      if (r > 0) {
        got.write(in.array(), 0, r);
        assertTrue(got.size() <= expected, "the peer read more than " + expected + " bytes");
      } else {
        step(
            deadline,
            "the peer's end-of-stream, " + got.size() + " of " + expected + " bytes read");
      }
    }
  }

  private static void assertArrayEquals(byte[] expected, byte[] actual) {
    assertArrayEquals(expected, actual, "bytes");
  }

  private static void assertArrayEquals(byte[] expected, byte[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    int at = Arrays.mismatch(expected, actual);
    assertEquals(-1, at, what + " differ at offset " + at);
  }

  private static int openFds() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return (int) s.count();
    }
  }

  /**
   * Records, per stream channel, what passes the pipeline before bbipc's handler: bytes, the
   * input-shutdown events and when they came, and anything after channelInactive.
   */
  static final class Recorder {
    final Map<Channel, Record> records = new ConcurrentHashMap<>();

    void install(ChannelPipeline pipeline) {
      Record rec = new Record(pipeline.channel());
      records.put(pipeline.channel(), rec);
      pipeline.addLast("recorder", rec);
    }

    Record only() {
      assertEquals(1, records.size(), "stream channels recorded");
      return records.values().iterator().next();
    }

    static final class Record extends ChannelInboundHandlerAdapter {
      final Channel channel;
      volatile long bytes;
      volatile long bytesAtEnd = -1;
      final AtomicLong bytesAfterEnd = new AtomicLong();
      final AtomicInteger inputEnds = new AtomicInteger();
      final AtomicInteger readCompletes = new AtomicInteger();
      final AtomicInteger eventsAfterInactive = new AtomicInteger();
      final java.util.concurrent.CountDownLatch inactive =
          new java.util.concurrent.CountDownLatch(1);

      Record(Channel channel) {
        this.channel = channel;
      }

      boolean awaitInactive() throws InterruptedException {
        return inactive.await(10, TimeUnit.SECONDS);
      }

      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (inactive.getCount() == 0) {
          eventsAfterInactive.incrementAndGet();
        }
        if (msg instanceof ByteBuf buf) {
          bytes += buf.readableBytes();
          if (inputEnds.get() > 0) {
            bytesAfterEnd.addAndGet(buf.readableBytes());
          }
        }
        ctx.fireChannelRead(msg);
      }

      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (inactive.getCount() == 0) {
          eventsAfterInactive.incrementAndGet();
        }
        if (evt instanceof ChannelInputShutdownEvent) {
          if (inputEnds.incrementAndGet() == 1) {
            bytesAtEnd = bytes;
          }
        } else if (evt instanceof ChannelInputShutdownReadComplete) {
          readCompletes.incrementAndGet();
        }
        ctx.fireUserEventTriggered(evt);
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        inactive.countDown();
        ctx.fireChannelInactive();
      }
    }
  }
}
