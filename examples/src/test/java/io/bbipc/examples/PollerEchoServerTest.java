package io.bbipc.examples;

import static io.bbipc.BasicBinaryIpc.IPV4_LOOPBACK;
import static io.bbipc.BasicBinaryIpc.connectToIpv4TcpServer;
import static io.bbipc.BasicBinaryIpc.connectToLocalServer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.LocalServer;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PollerEchoServerTest {
  private static final Timeout TEN_SECONDS = Timeout.seconds(10);

  @TempDir Path directory;

  /**
   * Sends {@code data} and reads its echo at the same time, as a client must when the data is more
   * than the buffers between it and the server hold.
   */
  static byte[] echoThrough(StreamSocket client, byte[] data) throws IpcException {
    if (!client
        .poll(
            EnumSet.of(SocketEvent.CONNECTION_SUCCEEDED, SocketEvent.CONNECTION_FAILED),
            TEN_SECONDS)
        .contains(SocketEvent.CONNECTION_SUCCEEDED)) {
      throw new IpcException("did not connect: " + client, client);
    }
    byte[] received = new byte[data.length];
    int sent = 0;
    int got = 0;
    while (got < data.length) {
      sent += client.writeToStream(data, sent, data.length);
      got += client.readFromStream(received, got, data.length);
      Set<SocketEvent> wanted =
          sent < data.length
              ? EnumSet.of(
                  SocketEvent.DATA_AVAILABLE,
                  SocketEvent.READY_TO_WRITE,
                  SocketEvent.REMOTE_DISCONNECTED)
              : EnumSet.of(SocketEvent.DATA_AVAILABLE, SocketEvent.REMOTE_DISCONNECTED);
      if (got < data.length) {
        Set<SocketEvent> events = client.poll(wanted, TEN_SECONDS);
        if (events.isEmpty()) {
          throw new IpcException(
              "no progress for 10 s after "
                  + sent
                  + " bytes sent and "
                  + got
                  + " received of "
                  + data.length,
              client);
        }
        if (events.equals(Set.of(SocketEvent.REMOTE_DISCONNECTED))) {
          throw new IpcException(
              "server went after " + got + " of " + data.length + " bytes", client);
        }
      }
    }
    return received;
  }

  /** Runs {@code clients} clients at once, half TCP and half local, and checks every echo. */
  private PollerEchoServer.Summary serveManyClients(Ipc serverRuntime, int clients, int maxSize)
      throws Exception {
    Random random = new Random(7);
    List<byte[]> messages = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < clients; i++) {
      byte[] message = new byte[1 + random.nextInt(maxSize)];
      random.nextBytes(message);
      messages.add(message);
      total += message.length;
    }
    Path socketPath = directory.resolve("echo.sock");
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try (Ipv4TcpServer tcp = serverRuntime.makeIpv4TcpServer(IPV4_LOOPBACK, 0);
        LocalServer local = serverRuntime.makeLocalServer(socketPath);
        BackgroundServer<PollerEchoServer.Summary> background =
            new BackgroundServer<>(
                "poller-echo-server", () -> PollerEchoServer.serve(List.of(tcp, local)))) {
      List<Future<byte[]>> echoes = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        byte[] message = messages.get(i);
        boolean overTcp = i % 2 == 0;
        Callable<byte[]> client =
            () -> {
              try (StreamSocket stream =
                  overTcp
                      ? connectToIpv4TcpServer(IPV4_LOOPBACK, tcp.port())
                      : connectToLocalServer(socketPath)) {
                return echoThrough(stream, message);
              }
            };
        echoes.add(pool.submit(client));
      }
      for (int i = 0; i < clients; i++) {
        assertArrayEquals(
            messages.get(i),
            echoes.get(i).get(60, TimeUnit.SECONDS),
            "echo of client " + i + " (" + messages.get(i).length + " bytes)");
      }
      PollerEchoServer.Summary summary = background.stop();
      assertEquals(clients, summary.connections());
      assertEquals(total, summary.bytesEchoed());
      return summary;
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
      assertFalse(Files.exists(socketPath), "local server's socket file left behind");
    }
  }

  @Test
  void twentyClientsOverTcpAndLocalSocketsGetExactEchoes() throws Exception {
    try (Ipc runtime = Ipc.create()) {
      serveManyClients(runtime, 20, 300_000);
    }
  }

  @Test
  void writesThatTakeOnlyPartOfARead_loseNothing() throws Exception {
    // An outbound limit far below the server's 64 KiB reads makes nearly every echo a short write.
    try (Ipc runtime = Ipc.builder().outboundBufferLimit(4096).build()) {
      PollerEchoServer.Summary summary = serveManyClients(runtime, 20, 200_000);
      assertTrue(summary.shortWrites() > 0, "no short write happened: " + summary);
    }
  }

  @Test
  void aClientThatLeavesWithoutReadingDoesNotDisturbTheOthers() throws Exception {
    Path socketPath = directory.resolve("echo.sock");
    try (Ipc runtime = Ipc.builder().outboundBufferLimit(4096).build();
        Ipv4TcpServer tcp = runtime.makeIpv4TcpServer(IPV4_LOOPBACK, 0);
        LocalServer local = runtime.makeLocalServer(socketPath);
        BackgroundServer<PollerEchoServer.Summary> background =
            new BackgroundServer<>(
                "poller-echo-server", () -> PollerEchoServer.serve(List.of(tcp, local)))) {
      byte[] data = new byte[100_000];
      new Random(1).nextBytes(data);
      try (StreamSocket rude = connectToIpv4TcpServer(IPV4_LOOPBACK, tcp.port())) {
        assertTrue(rude.poll(SocketEvent.CONNECTION_SUCCEEDED, TEN_SECONDS));
        assertTrue(rude.writeToStream(data) > 0);
        // Wait until the server is echoing to it, so that it goes with the server mid-write.
        assertTrue(rude.poll(SocketEvent.DATA_AVAILABLE, TEN_SECONDS));
      }
      for (int i = 0; i < 3; i++) {
        try (StreamSocket polite =
            i % 2 == 0
                ? connectToLocalServer(socketPath)
                : connectToIpv4TcpServer(IPV4_LOOPBACK, tcp.port())) {
          assertArrayEquals(data, echoThrough(polite, data));
        }
      }
      PollerEchoServer.Summary summary = background.stop();
      assertEquals(4, summary.connections());
    }
  }
}
