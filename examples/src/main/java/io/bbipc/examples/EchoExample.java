package io.bbipc.examples;

import static io.bbipc.BasicBinaryIpc.IPV4_LOOPBACK;
import static io.bbipc.BasicBinaryIpc.connectToIpv4TcpServer;
import static io.bbipc.BasicBinaryIpc.makeIpv4TcpServer;
import static io.bbipc.BasicBinaryIpc.pollSocket;

import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv4TcpStream;
import io.bbipc.ServerOptions;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;

/**
 * The echo server and client of basic-binary-ipc's {@code examples/echo-example.lisp}, function for
 * function: {@link #runServer(int, String)} and {@link #sendToServer(String, String, int)}.
 *
 * <p>The server serves one client at a time and stops when its thread is interrupted, which the
 * original, meant for a REPL, had no need of.
 */
public final class EchoExample {
  /** The original polls in steps of 10 seconds. */
  private static final Timeout TEN_SECONDS = Timeout.seconds(10);

  private static final Set<SocketEvent> CONNECTION_AVAILABLE =
      EnumSet.of(SocketEvent.CONNECTION_AVAILABLE);
  /*
   * In POSIX poll a disconnected peer makes a socket readable, so the original's data-available-p
   * poll returned at once when its client went. Here DATA_AVAILABLE means buffered bytes only, so
   * REMOTE_DISCONNECTED must be asked for too, or every finished client would cost 10 s per poll.
   */
  private static final Set<SocketEvent> DATA_OR_DISCONNECT =
      EnumSet.of(SocketEvent.DATA_AVAILABLE, SocketEvent.REMOTE_DISCONNECTED);
  /* Asking for CONNECTION_FAILED too lets a refused connect fail at once, not after 10 s. */
  private static final Set<SocketEvent> CONNECT_ENDED =
      EnumSet.of(SocketEvent.CONNECTION_SUCCEEDED, SocketEvent.CONNECTION_FAILED);
  private static final Set<SocketEvent> WRITABLE_OR_DISCONNECT =
      EnumSet.of(SocketEvent.READY_TO_WRITE, SocketEvent.REMOTE_DISCONNECTED);
  private static final Set<SocketEvent> SENDING =
      EnumSet.of(
          SocketEvent.READY_TO_WRITE, SocketEvent.DATA_AVAILABLE, SocketEvent.REMOTE_DISCONNECTED);

  private EchoExample() {}

  /**
   * The server's options: a client that shuts down its output after its request still gets the
   * echo.
   */
  static final ServerOptions SERVER_OPTIONS =
      ServerOptions.defaults().reuseAddress(true).halfClosure(true);

  /**
   * Serves echo clients on {@code 127.0.0.1:port} until the calling thread is interrupted.
   *
   * @param port the TCP port, 0 to 65535 (0 picks a free one, which only {@link #serve} can tell)
   * @throws IpcException if the server cannot be made, for example because the port is in use
   */
  public static void runServer(int port) throws IpcException {
    runServer(port, IPV4_LOOPBACK);
  }

  /**
   * Serves echo clients on {@code hostAddress:port} until the calling thread is interrupted.
   *
   * @param port the TCP port, 0 to 65535
   * @param hostAddress the local address to listen on, a dotted quad
   * @throws IpcException if the server cannot be made, for example because the port is in use
   * @throws IllegalArgumentException if the port or the address is malformed
   */
  public static void runServer(int port, String hostAddress) throws IpcException {
    try (Ipv4TcpServer server = makeIpv4TcpServer(hostAddress, port, SERVER_OPTIONS)) {
      serve(server);
    }
  }

  /**
   * Runs the original's server loop on an existing server until the calling thread is interrupted.
   *
   * <p>Each client gets up to three 10-second polls in a row without data before it is dropped; a
   * client that disconnects is dropped at once. The server is left open for its owner to close.
   *
   * @param server the listening server, owned by the caller
   * @throws IpcException if the server fails or is closed while serving
   */
  public static void serve(Ipv4TcpServer server) throws IpcException {
    byte[] buffer = new byte[10000];
    while (!Thread.currentThread().isInterrupted()) {
      if (pollSocket(server, CONNECTION_AVAILABLE, TEN_SECONDS).isEmpty()) {
        continue;
      }
      try (Ipv4TcpStream client = server.acceptConnection()) {
        echo(client, buffer);
      } catch (IpcException clientFailed) {
        // A client that resets mid-echo must not take the server down with it.
        if (clientFailed.socket() == null || clientFailed.socket() == server) {
          throw clientFailed;
        }
        System.err.println("echo server: dropped a client: " + clientFailed.getMessage());
      }
    }
  }

  /** The original's inner loop: echo what arrives, for at most three idle polls. */
  static void echo(StreamSocket client, byte[] buffer) throws IpcException {
    /*
     * The original counted every poll, so it echoed at most three reads (30000 bytes) per client.
     * Counting only the polls that come back empty lets a long message through, yet a silent
     * client still goes after three tries.
     */
    int attempts = 0;
    while (attempts < 3 && !Thread.currentThread().isInterrupted()) {
      Set<SocketEvent> events = pollSocket(client, DATA_OR_DISCONNECT, TEN_SECONDS);
      if (events.contains(SocketEvent.DATA_AVAILABLE) && client.connectionSucceeded()) {
        // a client that only finished sending (half-close) is still there to read the echo
        int bytesRead = client.readFromStream(buffer);
        writeFully(client, buffer, bytesRead);
      } else if (events.contains(SocketEvent.REMOTE_DISCONNECTED)) {
        return; // all echoed, or whatever it sent last has no one left to be echoed to
      } else {
        attempts++;
      }
    }
  }

  /*
   * The original wrote once and ignored how much was taken. writeToStream takes no more than the
   * stream's outbound buffer has room for, so the rest must wait until the peer has read some.
   * The server may wait here without reading: its client reads while it writes.
   */
  private static void writeFully(StreamSocket stream, byte[] bytes, int length)
      throws IpcException {
    int written = 0;
    while (written < length) {
      // Throws once the peer has gone, which is also how a REMOTE_DISCONNECTED poll ends the loop.
      written += stream.writeToStream(bytes, written, length);
      if (written < length && pollSocket(stream, WRITABLE_OR_DISCONNECT, TEN_SECONDS).isEmpty()) {
        throw new IpcException(
            "Could not write "
                + (length - written)
                + " of "
                + length
                + " bytes to "
                + stream
                + ": "
                + stallReason()
                + ".",
            stream);
      }
    }
  }

  private static String stallReason() {
    return Thread.currentThread().isInterrupted()
        ? "the thread was interrupted"
        : "the peer read nothing for 10 s";
  }

  /**
   * Sends {@code message} to the echo server at {@code hostAddress:port} and returns what comes
   * back.
   *
   * <p>Unlike the original, this reads the echo while still writing, so a message of any length
   * gets through, and reads until as many bytes have come back as were sent, so a message longer
   * than one read is whole; if the server stops echoing part way (three polls of 10 s without data,
   * or it disconnects), what came back so far is returned. An empty message is returned as soon as
   * the connection is made, as no echo of it can come.
   *
   * @param message the text to send, as UTF-8
   * @param hostAddress the server's address, a dotted quad
   * @param port the server's TCP port, 0 to 65535
   * @return the echoed text, decoded as UTF-8
   * @throws IpcException "Failed to connect to address host:port" when the connection fails within
   *     10 s, or "Echo server not working." when nothing comes back within three polls of 10 s
   * @throws IllegalArgumentException if the port or the address is malformed
   */
  public static String sendToServer(String message, String hostAddress, int port)
      throws IpcException {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    try (Ipv4TcpStream client = connectToIpv4TcpServer(hostAddress, port)) {
      if (!pollSocket(client, CONNECT_ENDED, TEN_SECONDS)
          .contains(SocketEvent.CONNECTION_SUCCEEDED)) {
        throw new IpcException("Failed to connect to address " + hostAddress + ":" + port, client);
      }
      byte[] buffer = new byte[100000];
      ByteArrayOutputStream received = new ByteArrayOutputStream(bytes.length);
      sendWhileReceiving(client, bytes, buffer, received);
      if (bytes.length == 0) {
        return ""; // nothing can come back, and waiting 30 s to learn that helps no one
      }

      if (received.size() == 0 && !awaitData(client)) {
        throw new IpcException("Echo server not working.", client);
      }

      /*
       * The original returned what one read-from-stream call gave. TCP keeps no message
       * boundaries: the echo arrives in as many pieces as the network and the server's 10000-byte
       * reads cut it into, so one read may hold only the first piece. Keep reading until every
       * byte sent has come back.
       */
      while (received.size() < bytes.length) {
        received.write(buffer, 0, client.readFromStream(buffer));
        if (received.size() < bytes.length && !awaitData(client)) {
          break;
        }
      }
      return received.toString(StandardCharsets.UTF_8);
    }
  }

  /*
   * The original wrote the whole message at once. writeToStream takes only what the outbound
   * buffer has room for, and the server echoes while the client is still writing: if the client
   * read nothing until it had written everything, a message bigger than all the buffers between
   * the two ends would leave both waiting for the other. So read the echo as it comes.
   */
  private static void sendWhileReceiving(
      StreamSocket client, byte[] bytes, byte[] buffer, ByteArrayOutputStream received)
      throws IpcException {
    int written = 0;
    while (written < bytes.length) {
      // Throws once the server has gone, which is also how a REMOTE_DISCONNECTED poll ends the
      // loop.
      written += client.writeToStream(bytes, written, bytes.length);
      received.write(buffer, 0, client.readFromStream(buffer));
      if (written < bytes.length && pollSocket(client, SENDING, TEN_SECONDS).isEmpty()) {
        throw new IpcException(
            "Could not write "
                + (bytes.length - written)
                + " of "
                + bytes.length
                + " bytes to "
                + client
                + ": "
                + stallReason()
                + ".",
            client);
      }
    }
  }

  /** The original's three polls for data; false when none came or the server has gone. */
  private static boolean awaitData(StreamSocket client) throws IpcException {
    for (int attempts = 0; attempts < 3; attempts++) {
      Set<SocketEvent> events = pollSocket(client, DATA_OR_DISCONNECT, TEN_SECONDS);
      if (events.contains(SocketEvent.DATA_AVAILABLE)) {
        return true;
      }
      if (events.contains(SocketEvent.REMOTE_DISCONNECTED)) {
        return false;
      }
      if (Thread.currentThread().isInterrupted()) {
        return false;
      }
    }
    return false;
  }

  /**
   * Runs a command line as {@link Main#main} does, such as {@code echo-server 12345} or {@code
   * echo-client "Hello World" 127.0.0.1 12345}.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    System.exit(Main.run(args, System.out, System.err));
  }
}
