package io.bbipc.examples;

import static io.bbipc.BasicBinaryIpc.connectToLocalServer;
import static io.bbipc.BasicBinaryIpc.makeLocalServer;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.IpcSocket;
import io.bbipc.LocalServer;
import io.bbipc.LocalStream;
import io.bbipc.PeerCredentials;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The echo over a local (Unix domain) socket: a server and a client in one thread, one message
 * there and back, and what each end can tell about the process at the other end.
 */
public final class LocalEcho {
  /**
   * The longest message, in UTF-8 bytes, that {@link #run} echoes. One thread plays both ends, so
   * the whole message must fit in the buffers between them (each stream buffers 1 MiB by default).
   */
  public static final int MAX_MESSAGE = 64 * 1024;

  private static final Timeout TEN_SECONDS = Timeout.seconds(10);

  private LocalEcho() {}

  /**
   * Makes a local server at {@code directory/echo.sock}, echoes {@code message} through it and
   * reports each step, peer credentials included, on {@code out}.
   *
   * @param directory an existing directory to put the socket file in
   * @param message the text to send, as UTF-8
   * @param out where to report
   * @return the echoed text
   * @throws IpcException if a socket fails, or an expected event does not come within 10 s
   * @throws IllegalArgumentException if the message is longer than {@value #MAX_MESSAGE} bytes
   */
  public static String run(Path directory, String message, PrintStream out) throws IpcException {
    Path pathname = directory.resolve("echo.sock");
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_MESSAGE) {
      throw new IllegalArgumentException(
          "message must be at most " + MAX_MESSAGE + " bytes as UTF-8, was " + bytes.length);
    }
    try (LocalServer server = makeLocalServer(pathname);
        LocalStream client = connectToLocalServer(pathname)) {
      out.println(
          "local server at "
              + server.localPathname()
              + " (transport "
              + Ipc.shared().transportName()
              + ")");
      await(server, SocketEvent.CONNECTION_AVAILABLE);
      try (LocalStream accepted = server.acceptConnection()) {
        await(client, SocketEvent.CONNECTION_SUCCEEDED);
        out.println("this process: pid " + ProcessHandle.current().pid());
        out.println("server sees client: " + describe(accepted.peerCredentials()));
        out.println("client sees server: " + describe(client.peerCredentials()));

        // One thread plays both ends; that works because the message fits the streams' buffers.
        writeAll(client, bytes);
        byte[] atServer = readExactly(accepted, bytes.length);
        writeAll(accepted, atServer);
        byte[] atClient = readExactly(client, bytes.length);

        String reply = new String(atClient, StandardCharsets.UTF_8);
        out.println("sent: " + message);
        out.println("received: " + reply);
        return reply;
      }
    }
  }

  private static String describe(Optional<PeerCredentials> credentials) {
    return credentials
        .map(c -> "pid " + c.pid() + ", uid " + c.uid() + ", gid " + c.gid())
        .orElse(
            "peer credentials are not available on the "
                + Ipc.shared().transportName()
                + " transport");
  }

  private static void writeAll(StreamSocket stream, byte[] bytes) throws IpcException {
    int written = 0;
    while (written < bytes.length) {
      written += stream.writeToStream(bytes, written, bytes.length);
      if (written < bytes.length) {
        await(stream, SocketEvent.READY_TO_WRITE);
      }
    }
  }

  /* A local stream keeps no message boundaries either: one read may return part of the message. */
  private static byte[] readExactly(StreamSocket stream, int length) throws IpcException {
    byte[] bytes = new byte[length];
    int read = 0;
    while (read < length) {
      await(stream, SocketEvent.DATA_AVAILABLE);
      read += stream.readFromStream(bytes, read, length);
    }
    return bytes;
  }

  private static void await(IpcSocket socket, SocketEvent event) throws IpcException {
    if (!socket.poll(event, TEN_SECONDS)) {
      throw new IpcException("no " + event + " on " + socket + " within 10 s", socket);
    }
  }

  /**
   * Runs the local echo in a new temporary directory, removed afterwards.
   *
   * @param args one optional argument, the message (default "Hello World")
   * @throws IOException if the directory cannot be made or a socket fails
   */
  public static void main(String[] args) throws IOException {
    String message = args.length > 0 ? String.join(" ", args) : "Hello World";
    Path directory = Files.createTempDirectory("bbipc-local-echo");
    try {
      run(directory, message, System.out);
    } finally {
      Files.deleteIfExists(directory);
    }
  }
}
