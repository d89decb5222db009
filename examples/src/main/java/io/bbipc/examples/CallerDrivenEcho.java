package io.bbipc.examples;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv4TcpStream;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Request and response over TCP loopback with caller-driven runtimes: two threads, each owning the
 * runtime it built, and no I/O thread anywhere. A write goes to the kernel inside {@code
 * writeToStream}; a wait is the transport's own wait (epoll_wait, io_uring_enter or
 * Selector.select) inside {@code poll}.
 */
public final class CallerDrivenEcho {
  private static final Timeout TEN_SECONDS = Timeout.seconds(10);

  private CallerDrivenEcho() {}

  /**
   * Runs an echo server thread and {@code roundTrips} 64-byte round trips from the calling thread,
   * each end on its own caller-driven runtime, and reports on {@code out}.
   *
   * @param roundTrips how many round trips, 1 or more
   * @param out where to report
   * @return the mean round trip in microseconds
   * @throws IpcException if a socket fails or an expected event does not come within 10 s
   * @throws IllegalArgumentException if {@code roundTrips} is less than 1
   */
  public static double run(int roundTrips, PrintStream out) throws Exception {
    if (roundTrips < 1) {
      throw new IllegalArgumentException("roundTrips must be at least 1, was " + roundTrips);
    }
    CompletableFuture<Integer> port = new CompletableFuture<>();
    CompletableFuture<Long> served = new CompletableFuture<>();
    Thread server = new Thread(() -> serve(port, served), "echo-owner");
    server.start();
    // The threading rule: only the thread that built a caller-driven runtime may use it.
    try (Ipc ipc = Ipc.builder().callerDriven(true).build()) {
      Ipv4TcpStream client =
          ipc.connectToIpv4TcpServer("127.0.0.1", port.get(10, TimeUnit.SECONDS));
      await(client, SocketEvent.CONNECTION_SUCCEEDED);
      out.println(
          "client and server are caller-driven on "
              + ipc.transportName()
              + ", owned by \""
              + ipc.owner().orElseThrow().getName()
              + "\" and \"echo-owner\"");
      byte[] ping = new byte[64];
      byte[] pong = new byte[64];
      long start = System.nanoTime();
      for (int i = 0; i < roundTrips; i++) {
        Arrays.fill(ping, (byte) i);
        if (client.writeToStream(ping) != ping.length) {
          throw new IpcException("the client's outbound buffer was full", client);
        }
        int got = 0;
        while (got < pong.length) {
          await(client, SocketEvent.DATA_AVAILABLE);
          got += client.readFromStream(pong, got, pong.length);
        }
        if (!Arrays.equals(ping, pong)) {
          throw new IpcException("round trip " + i + " came back different", client);
        }
      }
      double meanMicros = (System.nanoTime() - start) / 1000.0 / roundTrips;
      client.close();
      long echoed = served.get(10, TimeUnit.SECONDS);
      out.printf(
          java.util.Locale.ROOT,
          "%d round trips of 64 bytes, %d bytes echoed, mean %.1f us%n",
          roundTrips,
          echoed,
          meanMicros);
      return meanMicros;
    } finally {
      server.join(TimeUnit.SECONDS.toMillis(10));
    }
  }

  /** The server thread builds, and so owns, its own runtime; it echoes until the client leaves. */
  private static void serve(CompletableFuture<Integer> port, CompletableFuture<Long> served) {
    try (Ipc ipc = Ipc.builder().callerDriven(true).build()) {
      Ipv4TcpServer server = ipc.makeIpv4TcpServer("127.0.0.1", 0);
      port.complete(server.port());
      await(server, SocketEvent.CONNECTION_AVAILABLE);
      StreamSocket stream = server.acceptConnection();
      byte[] buffer = new byte[4096];
      long echoed = 0;
      Set<SocketEvent> wanted =
          EnumSet.of(SocketEvent.DATA_AVAILABLE, SocketEvent.REMOTE_DISCONNECTED);
      while (true) {
        Set<SocketEvent> events = stream.poll(wanted, TEN_SECONDS);
        int n = stream.readFromStream(buffer);
        if (n == 0) {
          if (events.contains(SocketEvent.REMOTE_DISCONNECTED)) {
            break;
          }
          if (events.isEmpty()) {
            throw new IpcException("the client went quiet for 10 s", stream);
          }
          continue;
        }
        for (int off = 0; off < n; ) {
          int w = stream.writeToStream(buffer, off, n);
          off += w;
          if (w == 0) {
            await(stream, SocketEvent.READY_TO_WRITE);
          }
        }
        echoed += n;
      }
      stream.close();
      served.complete(echoed);
    } catch (Throwable e) {
      port.completeExceptionally(e);
      served.completeExceptionally(e);
    }
  }

  private static void await(io.bbipc.IpcSocket socket, SocketEvent event) throws IpcException {
    if (!socket.poll(event, TEN_SECONDS)) {
      throw new IpcException("no " + event + " within 10 s on " + socket, socket);
    }
  }

  /**
   * Runs 10,000 round trips.
   *
   * @param args none
   * @throws Exception if the echo fails
   */
  public static void main(String[] args) throws Exception {
    try {
      run(10_000, System.out);
    } catch (ExecutionException | TimeoutException e) {
      System.err.println("caller-driven echo failed: " + e);
      System.exit(1);
    }
  }
}
