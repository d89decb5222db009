package io.bbipc.examples;

import static io.bbipc.BasicBinaryIpc.IPV4_LOOPBACK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.bbipc.Ipc;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.LocalServer;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plain JDK client that sends its request and then shuts its output down (as {@code nc -N} and
 * HTTP/1.0-style clients do) still gets its echo from both example servers.
 */
class HalfClosedClientTest {
  @TempDir Path directory;

  /** Sends {@code message}, shuts down output, and reads until the server's end of stream. */
  static byte[] halfClosedExchange(SocketChannel ch, byte[] message) throws Exception {
    try (ch) {
      ByteBuffer out = ByteBuffer.wrap(message);
      while (out.hasRemaining()) {
        ch.write(out);
      }
      ch.shutdownOutput();
      // non-blocking, so that every wait is bounded (local channels have no read timeout)
      ch.configureBlocking(false);
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      ByteBuffer in = ByteBuffer.allocate(65536);
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (System.nanoTime() - deadline < 0) {
        in.clear();
        int n = ch.read(in);
        if (n < 0) {
          return got.toByteArray();
        }
        if (n == 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        got.write(in.array(), 0, n);
      }
      throw new AssertionError("no end of stream within 20 s; " + got.size() + " bytes so far");
    }
  }

  static byte[] message(int size, long seed) {
    byte[] m = new byte[size];
    new Random(seed).nextBytes(m);
    return m;
  }

  /**
   * The runtimes the tests run on: NIO and io_uring (bbipc's own local channels on both; io_uring
   * where it runs here) and the default transport (epoll here).
   */
  private static List<Ipc.Builder> runtimes() {
    List<Ipc.Builder> builders = new java.util.ArrayList<>();
    builders.add(Ipc.builder().transport("nio"));
    builders.add(Ipc.builder());
    if (Ipc.transports().stream().anyMatch(t -> t.name().equals("io_uring") && t.isAvailable())) {
      builders.add(Ipc.builder().transport("io_uring"));
    }
    return builders;
  }

  /** On every runtime of {@link #runtimes()}. */
  @Test
  void thePollerEchoServerAnswersHalfClosedClientsOverTcpAndLocalSockets() throws Exception {
    Path socketPath = directory.resolve("echo.sock");
    for (Ipc.Builder builder : runtimes()) {
      try (Ipc ipc = builder.build();
          Ipv4TcpServer tcp =
              ipc.makeIpv4TcpServer(IPV4_LOOPBACK, 0, PollerEchoServer.SERVER_OPTIONS);
          LocalServer local = ipc.makeLocalServer(socketPath, PollerEchoServer.localOptions(ipc));
          BackgroundServer<PollerEchoServer.Summary> background =
              new BackgroundServer<>(
                  "poller-echo-server", () -> PollerEchoServer.serve(List.of(tcp, local)))) {
        byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(
            hello,
            halfClosedExchange(
                SocketChannel.open(new InetSocketAddress(IPV4_LOOPBACK, tcp.port())), hello),
            ipc.transportName());
        assertArrayEquals(
            hello,
            halfClosedExchange(SocketChannel.open(UnixDomainSocketAddress.of(socketPath)), hello),
            ipc.transportName());
        background.stop();
      }
      assertFalse(Files.exists(socketPath));
    }
  }

  /**
   * An echo bigger than every buffer on the way, much of it sent after the client stopped sending,
   * over TCP and local sockets on every runtime of {@link #runtimes()} (epoll on bbipc's event
   * loops, which keep a half-closed socket in the epoll set; see the README's Half-close section).
   */
  @Test
  void aLargeEchoReachesAHalfClosedClient() throws Exception {
    Path socketPath = directory.resolve("big.sock");
    for (Ipc.Builder builder : runtimes()) {
      try (Ipc ipc = builder.build();
          Ipv4TcpServer tcp =
              ipc.makeIpv4TcpServer(IPV4_LOOPBACK, 0, PollerEchoServer.SERVER_OPTIONS);
          LocalServer local = ipc.makeLocalServer(socketPath, PollerEchoServer.localOptions(ipc));
          BackgroundServer<PollerEchoServer.Summary> background =
              new BackgroundServer<>(
                  "poller-echo-server", () -> PollerEchoServer.serve(List.of(tcp, local)))) {
        byte[] big = message(3 << 20, 5);
        assertArrayEquals(
            big,
            halfClosedExchangeConcurrently(
                SocketChannel.open(new InetSocketAddress(IPV4_LOOPBACK, tcp.port())), big),
            ipc.transportName() + " TCP");
        assertArrayEquals(
            big,
            halfClosedExchangeConcurrently(
                SocketChannel.open(UnixDomainSocketAddress.of(socketPath)), big),
            ipc.transportName() + " local");
        background.stop();
      }
    }
  }

  /** Writes on another thread while reading, so neither end's buffers have to hold it all. */
  static byte[] halfClosedExchangeConcurrently(SocketChannel ch, byte[] message) throws Exception {
    java.util.concurrent.CompletableFuture<Void> sent =
        java.util.concurrent.CompletableFuture.runAsync(
            () -> {
              try {
                ByteBuffer out = ByteBuffer.wrap(message);
                while (out.hasRemaining()) {
                  ch.write(out);
                }
                ch.shutdownOutput();
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    try (ch) {
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      ByteBuffer in = ByteBuffer.allocate(65536);
      while (true) {
        in.clear();
        int n = ch.read(in);
        if (n < 0) {
          break;
        }
        got.write(in.array(), 0, n);
      }
      sent.get(20, java.util.concurrent.TimeUnit.SECONDS);
      return got.toByteArray();
    }
  }

  @Test
  void theEchoServerAnswersAHalfClosedClient() throws Exception {
    try (Ipv4TcpServer server =
            io.bbipc.BasicBinaryIpc.makeIpv4TcpServer(
                IPV4_LOOPBACK, 0, EchoExample.SERVER_OPTIONS.reuseAddress(false));
        BackgroundServer<Void> background =
            new BackgroundServer<>(
                "echo-server",
                () -> {
                  EchoExample.serve(server);
                  return null;
                })) {
      byte[] hello = "Hello World".getBytes(StandardCharsets.US_ASCII);
      assertArrayEquals(
          hello,
          halfClosedExchange(
              SocketChannel.open(new InetSocketAddress(IPV4_LOOPBACK, server.port())), hello));
      byte[] long1 = message(25_000, 6);
      assertArrayEquals(
          long1,
          halfClosedExchange(
              SocketChannel.open(new InetSocketAddress(IPV4_LOOPBACK, server.port())), long1));
      background.stop();
    }
  }
}
