package io.bbipc.examples;

import static io.bbipc.BasicBinaryIpc.IPV4_LOOPBACK;
import static io.bbipc.BasicBinaryIpc.makeIpv4TcpServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.ServerOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EchoExampleTest {
  private static Ipv4TcpServer newServer() throws IpcException {
    return makeIpv4TcpServer(IPV4_LOOPBACK, 0, ServerOptions.defaults().reuseAddress(true));
  }

  private static BackgroundServer<Void> serving(Ipv4TcpServer server) {
    return new BackgroundServer<>(
        "echo-example-server",
        () -> {
          EchoExample.serve(server);
          return null;
        });
  }

  /**
   * Holds a loopback port that nobody listens on, for as long as the socket is open.
   *
   * <p>A bound but unconnected plain socket, because a bbipc server's port is no good for this: its
   * close() returns before the listening socket is closed, so a connect right after it may still
   * succeed (and then be reset). Holding the port also keeps anyone else from taking it.
   */
  static Socket closedPort() throws IOException {
    Socket holder = new Socket();
    holder.bind(new InetSocketAddress(IPV4_LOOPBACK, 0));
    return holder;
  }

  @Test
  void helloWorldComesBack() throws Exception {
    try (Ipv4TcpServer server = newServer();
        BackgroundServer<Void> background = serving(server)) {
      assertEquals(
          "Hello World", EchoExample.sendToServer("Hello World", IPV4_LOOPBACK, server.port()));
      assertNull(background.stop());
    }
  }

  @Test
  void oneServerServesClientsOneAfterAnother() throws Exception {
    try (Ipv4TcpServer server = newServer();
        BackgroundServer<Void> background = serving(server)) {
      for (int i = 0; i < 5; i++) {
        String message = "message " + i;
        assertEquals(message, EchoExample.sendToServer(message, IPV4_LOOPBACK, server.port()));
      }
      background.stop();
    }
  }

  @Test
  void emptyMessageComesBackEmptyWithoutWaiting() throws Exception {
    try (Ipv4TcpServer server = newServer();
        BackgroundServer<Void> background = serving(server)) {
      long start = System.nanoTime();
      assertEquals("", EchoExample.sendToServer("", IPV4_LOOPBACK, server.port()));
      assertTrue(
          System.nanoTime() - start < 5_000_000_000L,
          "took " + (System.nanoTime() - start) + " ns");
      // The server must still be serving after a client that sent nothing.
      assertEquals("after", EchoExample.sendToServer("after", IPV4_LOOPBACK, server.port()));
      background.stop();
    }
  }

  @Test
  void messageLongerThanOneReadComesBackWhole() throws Exception {
    // 200 KB: twenty times the server's 10000-byte reads and twice the client's 100000-byte buffer.
    // Multi-byte characters make sure a piece boundary inside a character does no harm.
    Random random = new Random(42);
    String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 \u00e9\u20ac\u4e2d";
    StringBuilder text = new StringBuilder();
    while (text.toString().getBytes(StandardCharsets.UTF_8).length < 200_000) {
      for (int i = 0; i < 10_000; i++) {
        text.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
    }
    String message = text.toString();
    try (Ipv4TcpServer server = newServer();
        BackgroundServer<Void> background = serving(server)) {
      String reply = EchoExample.sendToServer(message, IPV4_LOOPBACK, server.port());
      assertEquals(message.length(), reply.length());
      assertEquals(message, reply);
      background.stop();
    }
  }

  @Test
  void messageBiggerThanEveryBufferBetweenTheEndsGetsThrough() throws Exception {
    // 20 MiB outgrows the 1 MiB stream buffers and the kernel's on both ends, so the client must
    // read the echo while it is still writing, or both sides would wait for the other.
    String message = "0123456789abcdef".repeat(20 << 16);
    try (Ipv4TcpServer server = newServer();
        BackgroundServer<Void> background = serving(server)) {
      assertEquals(message, EchoExample.sendToServer(message, IPV4_LOOPBACK, server.port()));
      background.stop();
    }
  }

  @Test
  void connectingToAClosedPortFailsAtOnceAsTheOriginalSays() throws Exception {
    try (Socket closed = closedPort()) {
      int port = closed.getLocalPort();
      long start = System.nanoTime();
      IpcException e =
          assertThrows(
              IpcException.class,
              () -> EchoExample.sendToServer("Hello World", IPV4_LOOPBACK, port));
      assertEquals("Failed to connect to address 127.0.0.1:" + port, e.getMessage());
      // A refused connect must not cost the full 10 s poll.
      assertTrue(
          System.nanoTime() - start < 5_000_000_000L,
          "took " + (System.nanoTime() - start) + " ns");
    }
  }

  @Test
  void runServerReturnsWhenItsThreadIsInterrupted() throws Exception {
    try (BackgroundServer<Void> background =
        new BackgroundServer<>(
            "run-server",
            () -> {
              EchoExample.runServer(0, IPV4_LOOPBACK);
              return null;
            })) {
      assertNull(background.stop());
    }
  }

  @Test
  void runServerReportsAPortInUse() throws Exception {
    try (Ipv4TcpServer server = newServer()) {
      assertThrows(IpcException.class, () -> EchoExample.runServer(server.port(), IPV4_LOOPBACK));
    }
  }
}
