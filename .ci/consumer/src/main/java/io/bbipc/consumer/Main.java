package io.bbipc.consumer;

import io.bbipc.Ipc;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.IpcException;
import io.bbipc.LocalServer;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.TransportInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Echoes a few bytes over a local socket and a TCP loopback connection through bbipc's API, on
 * the transport {@link Ipc#create()} picks, and fails unless that is the native one expected here.
 *
 * <p>Arguments: {@code module-path} or {@code class-path}, how the launcher was told to run it
 * (checked against where the classes really are), then optionally the expected transport; by
 * default epoll on Linux, kqueue on macOS, and any but NIO elsewhere.
 */
public final class Main {
  private static final Timeout WAIT = Timeout.seconds(10);

  private Main() {
  }

  /**
   * Runs the check.
   *
   * @param args the mode, then optionally the expected transport
   * @throws Exception if an echo fails; the exit status is then non-zero
   */
  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2
        || !(args[0].equals("module-path") || args[0].equals("class-path"))) {
      System.err.println("usage: Main module-path|class-path [expected-transport]");
      System.exit(2);
    }
    String mode = args[0];
    String expected = args.length == 2 ? args[1] : expectedHere();
    boolean named = Main.class.getModule().isNamed();
    System.out.println("consumer on the " + mode + ": this class in " + Main.class.getModule()
        + ", bbipc in " + Ipc.class.getModule());
    check(named == mode.equals("module-path"), "asked to run on the " + mode
        + " but this class's module is " + Main.class.getModule());
    if (named) {
      Module bbipc = Ipc.class.getModule();
      check(bbipc.isNamed() && bbipc.getName().equals("io.bbipc"), "bbipc is in " + bbipc);
      check(bbipc.isExported("io.bbipc") && bbipc.isExported("io.bbipc.spi")
          && bbipc.isExported("io.bbipc.netty"), "io.bbipc does not export its API: "
          + bbipc.getDescriptor());
      check(bbipc.getPackages().contains("io.bbipc.internal")
          && !bbipc.isExported("io.bbipc.internal"), "io.bbipc exports its internals: "
          + bbipc.getDescriptor());
    }
    System.out.print(Ipc.transportReport());
    for (TransportInfo t : Ipc.transports()) {
      if (t.name().equals(expected) && !t.isAvailable()) {
        t.unavailabilityCause().orElseThrow().printStackTrace();
      }
    }

    try (Ipc ipc = Ipc.create()) {
      String got = ipc.transportName();
      System.out.println("transport: " + got);
      check(expected.equals("native") ? !got.equals("nio") : got.equals(expected),
          "expected the " + expected + " transport on the " + mode + ", got " + got);

      Path dir = Files.createTempDirectory("bbipc-consumer");
      try {
        try (LocalServer server = ipc.makeLocalServer(dir.resolve("echo.sock"))) {
          echo("local", server, ipc.connectToLocalServer(server.localPathname()));
        }
      } finally {
        Files.deleteIfExists(dir.resolve("echo.sock"));
        Files.deleteIfExists(dir);
      }
      try (Ipv4TcpServer server = ipc.makeIpv4TcpServer("127.0.0.1", 0)) {
        echo("tcp", server, ipc.connectToIpv4TcpServer("127.0.0.1", server.port()));
      }
    }
    // NIO's local sockets run on bbipc's own channel classes, which bbipc's module makes (on the
    // module path Netty may not: their package is not exported)
    try (Ipc nio = Ipc.builder().transport("nio").build()) {
      Path dir = Files.createTempDirectory("bbipc-consumer");
      try {
        try (LocalServer server = nio.makeLocalServer(dir.resolve("echo.sock"))) {
          echo("nio local", server, nio.connectToLocalServer(server.localPathname()));
        }
      } finally {
        Files.deleteIfExists(dir.resolve("echo.sock"));
        Files.deleteIfExists(dir);
      }
    }
    System.out.println("consumer on the " + mode + ": OK");
  }

  /** The native transport bbipc must pick on this operating system. */
  private static String expectedHere() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    return os.contains("linux") ? "epoll" : os.contains("mac") ? "kqueue" : "native";
  }

  /** Sends a message from the client, echoes it back from the accepted end, and checks it came back whole. */
  private static void echo(String what, StreamServer server, StreamSocket connecting) throws IOException {
    try (StreamSocket client = connecting) {
      check(client.poll(SocketEvent.DETERMINED, WAIT) && client.connectionSucceeded(),
          what + ": the connect did not succeed within 10 s");
      check(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT), what + ": nothing to accept within 10 s");
      try (StreamSocket accepted = server.acceptConnection()) {
        byte[] message = ("hello over " + what).getBytes(StandardCharsets.US_ASCII);
        check(client.writeToStream(message) == message.length, what + ": short write");
        byte[] echoed = readExactly(accepted, message.length, what + " (server end)");
        check(accepted.writeToStream(echoed) == echoed.length, what + ": short echo write");
        byte[] back = readExactly(client, message.length, what + " (client end)");
        check(Arrays.equals(message, back), what + ": sent " + Arrays.toString(message)
            + ", got back " + Arrays.toString(back));
        System.out.println(what + ": echoed " + back.length + " bytes: "
            + new String(back, StandardCharsets.US_ASCII));
      }
    }
  }

  private static byte[] readExactly(StreamSocket s, int n, String what) throws IpcException {
    byte[] got = new byte[n];
    int have = 0;
    while (have < n) {
      check(s.poll(SocketEvent.DATA_AVAILABLE, WAIT), what + ": no data within 10 s after " + have + " bytes");
      have += s.readFromStream(got, have, n);
    }
    return got;
  }

  private static void check(boolean ok, String failure) {
    if (!ok) {
      throw new IllegalStateException(failure);
    }
  }
}
