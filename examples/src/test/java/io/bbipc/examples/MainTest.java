package io.bbipc.examples;

import static io.bbipc.BasicBinaryIpc.IPV4_LOOPBACK;
import static io.bbipc.BasicBinaryIpc.makeIpv4TcpServer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.spi.TransportProvider;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MainTest {
  private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

  private int run(String... args) {
    try (PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8)) {
      return Main.run(args, out, err);
    }
  }

  private String out() {
    return outBytes.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return errBytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void demoSendsThreeMessagesAndGetsThemBack() {
    assertEquals(0, run("demo"), err());
    List<String> lines = out().lines().toList();
    assertTrue(lines.get(0).matches("echo server listening on 127\\.0\\.0\\.1:\\d+"), lines.get(0));
    assertEquals(List.of("sent: Hello World", "received: Hello World"), lines.subList(1, 3));
    assertEquals(3, lines.stream().filter(l -> l.startsWith("sent: ")).count(), out());
    for (String line : lines) {
      if (line.startsWith("sent: ")) {
        assertTrue(lines.contains("received: " + line.substring("sent: ".length())), out());
      }
    }
    assertEquals("echo server stopped", lines.get(lines.size() - 1));
    assertEquals("", err());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "bogus",
        "demo|extra",
        "transports|extra",
        "echo-server",
        "echo-server|abc",
        "echo-server|-1",
        "echo-server|65536",
        "echo-server|99999999999",
        "echo-server|12345|127.0.0.1|extra",
        "echo-server|12345|localhost",
        "echo-server|12345|1.2.3.256",
        "echo-client",
        "echo-client|Hello World|127.0.0.1",
        "echo-client|Hello World|127.0.0.1|0",
        "echo-client|Hello World|127.0.0.1|x1",
        "echo-client|Hello World|127.0.0.1|70000",
        "echo-client|Hello World|1.2.3|80",
        "echo-client|Hello World|127.0.0.1|80|extra",
      })
  void aBadCommandLinePrintsTheUsageAndReturns2(String joined) {
    String[] args = joined.isEmpty() ? new String[0] : joined.split("\\|");
    assertEquals(2, run(args));
    assertTrue(err().contains("usage: java -jar bbipc-examples.jar"), err());
    assertEquals("", out());
  }

  @Test
  void helpGoesToStandardOutput() {
    assertEquals(0, run("--help"));
    assertTrue(out().startsWith("usage: "), out());
  }

  @Test
  void usageNamesEveryCommand() {
    assertEquals(0, run("--help"));
    for (String command : List.of("echo-server", "echo-client", "demo", "transports")) {
      assertTrue(out().contains("  " + command + " "), out());
    }
  }

  @Test
  void transportsListsEveryProviderAndThePick() throws Exception {
    assertEquals(0, run("transports"), err());
    assertEquals("", err());
    List<String> lines = out().lines().toList();
    Pattern provider = Pattern.compile("(\\S+) +priority +-?\\d+  (available|unavailable: .+)");
    Map<String, String> status = new HashMap<>();
    for (String line : lines.subList(0, lines.size() - 1)) {
      Matcher m = provider.matcher(line);
      assertTrue(m.matches(), line);
      status.put(m.group(1), m.group(2));
    }
    // The examples depend on every transport module, so the report names them all, here or not.
    assertEquals(Set.of("epoll", "io_uring", "kqueue", "nio"), status.keySet(), out());
    assertEquals("available", status.get("nio"));
    for (TransportProvider p : EchoPipeline.availableTransports()) {
      assertEquals("available", status.get(p.name()), out());
    }
    try (Ipc ipc = Ipc.create()) {
      assertEquals("Ipc.create() picks: " + ipc.transportName(), lines.get(lines.size() - 1));
      // On Linux the native transports load from the jars' META-INF/native, so NIO is not the pick.
      if (System.getProperty("os.name").startsWith("Linux")
          && System.getProperty("bbipc.transport") == null) {
        assertTrue(
            status.get("epoll").equals("available") && !ipc.transportName().equals("nio"), out());
      }
    }
  }

  @Test
  void echoClientPrintsTheEcho() throws Exception {
    try (Ipv4TcpServer server = makeIpv4TcpServer(IPV4_LOOPBACK, 0);
        BackgroundServer<Void> background =
            new BackgroundServer<>(
                "echo",
                () -> {
                  EchoExample.serve(server);
                  return null;
                })) {
      assertEquals(
          0,
          run("echo-client", "Hello World", IPV4_LOOPBACK, String.valueOf(server.port())),
          err());
      assertEquals("Hello World" + System.lineSeparator(), out());
      background.stop();
    }
  }

  @Test
  void echoClientWithNoServerSaysSoOnOneLine() throws Exception {
    try (Socket closed = EchoExampleTest.closedPort()) {
      int port = closed.getLocalPort();
      int status = run("echo-client", "Hello World", IPV4_LOOPBACK, String.valueOf(port));
      assertTrue(status != 0 && status != Main.USAGE_ERROR, "status " + status);
      assertEquals(
          "echo-client: Failed to connect to address 127.0.0.1:" + port + System.lineSeparator(),
          err());
      assertEquals("", out());
    }
  }

  /** Hands each printed line to a queue, so that a test can wait for one with a timeout. */
  private static final class LineQueue extends OutputStream {
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        lines.add(line.toString(StandardCharsets.UTF_8).strip());
        line.reset();
      } else {
        line.write(b);
      }
    }
  }

  @Test
  void echoServerSaysWhereItListensAndServesUntilInterrupted() throws Exception {
    LineQueue printed = new LineQueue();
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        BackgroundServer<Integer> background =
            new BackgroundServer<>(
                "main-echo-server",
                () -> Main.run(new String[] {"echo-server", "0", "127.0.0.1"}, out, err))) {
      String line = printed.lines.poll(10, TimeUnit.SECONDS);
      assertNotNull(line, "echo-server printed nothing within 10 s");
      Matcher m = Pattern.compile("echo server listening on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
      assertTrue(m.matches(), line);
      int port = Integer.parseInt(m.group(1));
      assertEquals("Hello again", EchoExample.sendToServer("Hello again", IPV4_LOOPBACK, port));
      assertEquals(0, background.stop());
      assertEquals("", err());
    }
  }

  /**
   * The {@code echo-server} command answers clients that shut their output down after sending (as
   * {@code nc -N} does): the short request five times, since a server without half-closure loses
   * the race only when the client's end-of-stream comes before its first poll, and 1 MiB, much of
   * which is still to be echoed when the end-of-stream arrives.
   */
  @Test
  void echoServerAnswersClientsThatHalfClose() throws Exception {
    LineQueue printed = new LineQueue();
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        BackgroundServer<Integer> background =
            new BackgroundServer<>(
                "main-echo-server", () -> Main.run(new String[] {"echo-server", "0"}, out, err))) {
      String line = printed.lines.poll(10, TimeUnit.SECONDS);
      assertNotNull(line, "echo-server printed nothing within 10 s");
      Matcher m = Pattern.compile("echo server listening on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
      assertTrue(m.matches(), line);
      InetSocketAddress address =
          new InetSocketAddress(IPV4_LOOPBACK, Integer.parseInt(m.group(1)));
      byte[] one = {42};
      for (int i = 0; i < 5; i++) {
        assertArrayEquals(
            one,
            HalfClosedClientTest.halfClosedExchange(SocketChannel.open(address), one),
            "round " + i);
      }
      byte[] big = HalfClosedClientTest.message(1 << 20, 10);
      assertArrayEquals(
          big,
          HalfClosedClientTest.halfClosedExchangeConcurrently(SocketChannel.open(address), big));
      assertEquals(0, background.stop());
      assertEquals("", err());
    }
  }

  @Test
  void echoServerOnAPortInUseFailsOnOneLine() throws Exception {
    try (Ipv4TcpServer taken = makeIpv4TcpServer(IPV4_LOOPBACK, 0)) {
      int status = run("echo-server", String.valueOf(taken.port()));
      assertEquals(Main.FAILURE, status);
      assertTrue(err().startsWith("echo-server: ") && err().lines().count() == 1, err());
    }
  }
}
