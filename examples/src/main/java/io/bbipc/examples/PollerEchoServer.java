package io.bbipc.examples;

import static io.bbipc.BasicBinaryIpc.IPV4_LOOPBACK;
import static io.bbipc.BasicBinaryIpc.makeIpv4TcpServer;
import static io.bbipc.BasicBinaryIpc.makeLocalServer;
import static io.bbipc.BasicBinaryIpc.makePoller;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.IpcSocket;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.LocalServer;
import io.bbipc.NoConnectionAvailableException;
import io.bbipc.PollResult;
import io.bbipc.Poller;
import io.bbipc.ServerOptions;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An echo server that serves any number of TCP and local clients, all at once, from one thread and
 * one {@link Poller}.
 *
 * <p>Each connection is in one of two states. While it has nothing left to send, it is watched for
 * {@code DATA_AVAILABLE}: what arrives is read and written straight back. When the stream takes
 * fewer bytes than were read, the rest is kept for that connection and it is watched for {@code
 * READY_TO_WRITE} instead, reading nothing more until the rest is out; so no byte is lost and a
 * client that does not read its echo cannot make the server buffer without bound.
 */
public final class PollerEchoServer {
  private static final int READ_SIZE = 64 * 1024;

  private static final Set<SocketEvent> ACCEPTING = EnumSet.of(SocketEvent.CONNECTION_AVAILABLE);
  private static final Set<SocketEvent> READING =
      EnumSet.of(SocketEvent.DATA_AVAILABLE, SocketEvent.REMOTE_DISCONNECTED);
  private static final Set<SocketEvent> WRITING =
      EnumSet.of(SocketEvent.READY_TO_WRITE, SocketEvent.REMOTE_DISCONNECTED);

  /**
   * What a {@link #serve} call did, for logs and tests.
   *
   * @param connections how many connections were accepted
   * @param bytesEchoed how many bytes were written back
   * @param shortWrites how many writes took fewer bytes than offered, leaving a rest to send later
   */
  public record Summary(long connections, long bytesEchoed, long shortWrites) {}

  private final Poller poller;
  private final Map<IpcSocket, Connection> connections = new HashMap<>();
  private final byte[] buffer = new byte[READ_SIZE];
  private long accepted;
  private long bytesEchoed;
  private long shortWrites;

  private PollerEchoServer(Poller poller) {
    this.poller = poller;
  }

  /** One accepted stream and the echo bytes it has not taken yet. */
  private static final class Connection {
    final StreamSocket stream;
    byte[] unsent;
    int unsentStart;

    Connection(StreamSocket stream) {
      this.stream = stream;
    }
  }

  /**
   * Echoes to every client of {@code servers} until the calling thread is interrupted.
   *
   * <p>The servers stay open and owned by the caller; one the caller closes meanwhile is simply no
   * longer served, as pollers drop closed sockets. The connections accepted here are closed before
   * this returns. A connection that fails is closed and the others go on.
   *
   * @param servers the listening servers, TCP or local, in any mix
   * @return what was done
   * @throws IpcException if a server is already closed, or the poller fails
   */
  public static Summary serve(List<? extends StreamServer> servers) throws IpcException {
    try (Poller poller = makePoller()) {
      PollerEchoServer echo = new PollerEchoServer(poller);
      try {
        for (StreamServer server : servers) {
          poller.monitorSocket(server, ACCEPTING);
        }
        echo.loop();
      } finally {
        echo.closeAll();
      }
      return new Summary(echo.accepted, echo.bytesEchoed, echo.shortWrites);
    }
  }

  /**
   * The servers' options: a client that shuts down its output after its request still gets the
   * echo.
   */
  static final ServerOptions SERVER_OPTIONS = ServerOptions.defaults().halfClosure(true);

  /**
   * The local server's options on {@code ipc}: half-closure where its transport can keep a local
   * stream half-open (epoll, kqueue, nio); elsewhere a half-closed client is dropped as one that
   * left.
   */
  static ServerOptions localOptions(Ipc ipc) {
    boolean can =
        Ipc.transports().stream()
            .anyMatch(t -> t.name().equals(ipc.transportName()) && t.provider().localHalfClosure());
    return can ? SERVER_OPTIONS : ServerOptions.defaults();
  }

  private void loop() throws IpcException {
    // INDEFINITE is safe: an interrupt ends the wait with an empty list, and the loop test ends it.
    while (!Thread.currentThread().isInterrupted()) {
      for (PollResult ready : poller.waitForEvents(Timeout.INDEFINITE)) {
        if (ready.socket() instanceof StreamServer) {
          accept((StreamServer) ready.socket());
        } else {
          Connection connection = connections.get(ready.socket());
          try {
            handle(connection, ready.events());
          } catch (IpcException connectionFailed) {
            // One client that resets must not stop the others being served.
            drop(connection);
          }
        }
      }
    }
  }

  private void accept(StreamServer server) throws IpcException {
    StreamSocket stream;
    try {
      stream = server.acceptConnection();
    } catch (NoConnectionAvailableException gone) {
      return; // the client gave up between the poll and the accept
    }
    connections.put(stream, new Connection(stream));
    accepted++;
    poller.monitorSocket(stream, READING);
  }

  private void handle(Connection connection, Set<SocketEvent> events) throws IpcException {
    if (events.contains(SocketEvent.REMOTE_DISCONNECTED)
        && !connection.stream.connectionSucceeded()) {
      /*
       * The client may have sent more before it went, and bbipc keeps those bytes. Nothing can be
       * written back any more (writing to a departed peer throws), so they are read out and
       * dropped; a server that acts on requests, rather than answering them, would handle them here.
       */
      while (connection.stream.readFromStream(buffer) > 0) {
        continue;
      }
      drop(connection);
    } else if (connection.unsent != null) {
      sendRest(connection);
    } else if (events.contains(SocketEvent.DATA_AVAILABLE)) {
      echo(connection);
    } else if (events.contains(SocketEvent.REMOTE_DISCONNECTED)) {
      // The client shut its output down after its request (half-close) and everything it sent
      // is echoed: closing delivers what is still queued, then ends the connection.
      drop(connection);
    }
  }

  private void echo(Connection connection) throws IpcException {
    int bytesRead = connection.stream.readFromStream(buffer);
    int written = connection.stream.writeToStream(buffer, 0, bytesRead);
    bytesEchoed += written;
    if (written < bytesRead) {
      // The shared buffer is reused by the next read, so the rest needs a copy of its own.
      shortWrites++;
      connection.unsent = Arrays.copyOfRange(buffer, written, bytesRead);
      connection.unsentStart = 0;
      // once a half-closed client is done sending, REMOTE_DISCONNECTED holds for good: waiting
      // for it as well would make every wait return at once
      poller.setMonitoredEvents(
          connection.stream,
          connection.stream.remoteDisconnected()
              ? EnumSet.of(SocketEvent.READY_TO_WRITE)
              : WRITING);
    }
  }

  private void sendRest(Connection connection) throws IpcException {
    byte[] unsent = connection.unsent;
    int written = connection.stream.writeToStream(unsent, connection.unsentStart, unsent.length);
    bytesEchoed += written;
    connection.unsentStart += written;
    if (connection.unsentStart == unsent.length) {
      connection.unsent = null;
      poller.setMonitoredEvents(connection.stream, READING);
    }
  }

  private void drop(Connection connection) {
    poller.unmonitorSocket(connection.stream);
    connection.stream.close();
    connections.remove(connection.stream);
  }

  private void closeAll() {
    for (Connection connection : connections.values()) {
      connection.stream.close();
    }
    connections.clear();
  }

  /**
   * Serves on {@code 127.0.0.1:PORT} and on a local socket in a new temporary directory until
   * killed.
   *
   * @param args one optional argument, the TCP port (default 0: any free port)
   * @throws IOException if a server cannot be made or the directory cannot be created
   */
  public static void main(String[] args) throws IOException {
    int port = args.length == 1 ? Main.parsePort(args[0], true) : 0;
    if (args.length > 1 || port < 0) {
      System.err.println("usage: PollerEchoServer [PORT]   (PORT 0 to 65535, default 0)");
      System.exit(2);
    }
    Path directory = Files.createTempDirectory("bbipc-echo");
    try (Ipv4TcpServer tcp = makeIpv4TcpServer(IPV4_LOOPBACK, port, SERVER_OPTIONS);
        LocalServer local =
            makeLocalServer(directory.resolve("echo.sock"), localOptions(Ipc.shared()))) {
      // Killing the process skips the try's closing; the hook still removes the socket file.
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      Files.deleteIfExists(local.localPathname());
                      Files.deleteIfExists(directory);
                    } catch (IOException ignored) {
                      // a temporary directory left behind is harmless
                    }
                  }));
      System.out.println(
          "poller echo server listening on "
              + tcp.hostAddress()
              + ":"
              + tcp.port()
              + " and "
              + local.localPathname());
      serve(List.of(tcp, local));
    }
  }
}
