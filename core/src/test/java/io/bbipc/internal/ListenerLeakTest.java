package io.bbipc.internal;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv4TcpStream;
import io.bbipc.Poller;
import io.bbipc.SocketEvent;
import io.bbipc.Timeout;
import io.bbipc.conformance.Streams;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Nothing a user registers on a socket stays behind once it is done with: cancelled and completed
 * {@code whenReady} futures, and the registration of a poller that closed under a waiting thread.
 * The count is internal ({@link AbstractSocket#listenerCount()}), so it is checked here, on NIO
 * loopback streams; the conformance suite checks what users see of the same scenarios on every
 * transport.
 */
class ListenerLeakTest {
  private static final Timeout WAIT = Timeout.seconds(10);

  private Ipc ipc;
  private Ipv4TcpServer server;
  private Ipv4TcpStream client;
  private Ipv4TcpStream accepted;

  @BeforeEach
  void connect() throws IpcException {
    ipc = Ipc.builder().transport("nio").build();
    server = ipc.makeIpv4TcpServer("127.0.0.1", 0);
    client = ipc.connectToIpv4TcpServer("127.0.0.1", server.port());
    assertTrue(client.poll(CONNECTION_SUCCEEDED, WAIT), "the client to connect");
    assertTrue(server.poll(CONNECTION_AVAILABLE, WAIT), "a connection to accept");
    accepted = server.acceptConnection();
  }

  @AfterEach
  void close() {
    ipc.close();
  }

  private static void awaitListeners(AbstractSocket socket, int count) {
    long deadline = Streams.deadline(10);
    while (socket.listenerCount() != count) {
      Streams.checkDeadline(
          deadline, "listeners to go: " + socket.listenerCount() + ", not " + count);
      Thread.onSpinWait();
    }
  }

  /** HardeningConformanceTest's item 11, with the counts it no longer asserts. */
  @Test
  void manyWhenReadyFuturesLeaveNothingBehindCancelledOrCompleted() throws Exception {
    final int count = 100_000;
    AbstractSocket socket = (AbstractSocket) client;
    int before = socket.listenerCount();
    List<CompletableFuture<Set<SocketEvent>>> futures = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      futures.add(client.whenReady(EnumSet.of(DATA_AVAILABLE)));
    }
    for (int i = 0; i < count; i += 2) {
      futures.get(i).cancel(false);
    }
    assertEquals(before + count / 2, socket.listenerCount(), "live futures after cancelling half");
    accepted.writeToStream(new byte[] {7});
    long deadline = Streams.deadline(10);
    for (int i = 1; i < count; i += 2) {
      while (!futures.get(i).isDone()) {
        Streams.checkDeadline(deadline, "future " + i + " to complete");
        Thread.onSpinWait();
      }
    }
    awaitListeners(socket, before);
  }

  /** EmbeddingConformanceTest's cancelled futures, with the count it no longer asserts. */
  @Test
  void cancellingWhenReadyLeavesNoListenerBehind() throws Exception {
    AbstractSocket socket = (AbstractSocket) accepted;
    int before = socket.listenerCount();
    for (int i = 0; i < 1000; i++) {
      CompletableFuture<Set<SocketEvent>> pending = accepted.whenReady(EnumSet.of(DATA_AVAILABLE));
      assertTrue(pending.cancel(false));
    }
    awaitListeners(socket, before);
    CompletableFuture<Set<SocketEvent>> live = accepted.whenReady(EnumSet.of(DATA_AVAILABLE));
    client.writeToStream(new byte[] {1});
    assertEquals(EnumSet.of(DATA_AVAILABLE), live.get(10, TimeUnit.SECONDS));
  }

  /**
   * PollingConformanceTest's poller closed under its waiter, with the count it no longer asserts.
   */
  @Test
  void closingAPollerUnderItsWaiterLeavesNoListenerOnItsSockets() throws Exception {
    AbstractSocket socket = (AbstractSocket) accepted;
    int before = socket.listenerCount();
    Poller poller = ipc.makePoller();
    poller.monitorSocket(accepted, EnumSet.of(DATA_AVAILABLE));
    assertEquals(before + 1, socket.listenerCount(), "the poller's registration");
    CompletableFuture<Object> outcome =
        Streams.parkedIn(() -> poller.waitForEvents(Timeout.INDEFINITE));
    poller.close();
    assertTrue(outcome.get(10, TimeUnit.SECONDS) instanceof IpcException);
    assertFalse(accepted.isClosed());
    assertEquals(before, socket.listenerCount());
  }
}
