package io.bbipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * A null argument is a {@link NullPointerException} whose message names the argument (and, in a
 * list, the index), thrown before any I/O, never one from inside a collection.
 */
class NullArgumentsTest {
  private static final Set<SocketEvent> DATA = EnumSet.of(SocketEvent.DATA_AVAILABLE);
  private static final Set<SocketEvent> AVAILABLE = EnumSet.of(SocketEvent.CONNECTION_AVAILABLE);
  @AutoClose private static final Ipc ipc = Ipc.create();

  @TempDir Path dir;

  /**
   * Collects every call whose exception is not an NPE naming what it should, to report all at once.
   */
  private final List<String> wrong = new ArrayList<>();

  private void expectNamed(String call, String name, Executable executable) {
    Throwable t;
    try {
      executable.execute();
      wrong.add(call + ": returned normally");
      return;
    } catch (Throwable thrown) {
      t = thrown;
    }
    if (!(t instanceof NullPointerException)) {
      wrong.add(call + ": threw " + t);
    } else if (t.getMessage() == null || !t.getMessage().contains(name)) {
      wrong.add(call + ": message \"" + t.getMessage() + "\" does not name " + name);
    }
  }

  private static <T> Set<T> setWithNull(T element) {
    return new HashSet<>(Arrays.asList(element, null));
  }

  @Test
  void pollerMethodsNameTheirNullArgument() throws Exception {
    try (Ipv4TcpServer server = ipc.makeIpv4TcpServer("127.0.0.1", 0);
        Ipv4TcpStream client = ipc.connectToIpv4TcpServer("127.0.0.1", server.port());
        Poller poller = ipc.makePoller()) {
      poller.monitorSocket(client, DATA);
      expectNamed("monitorSocket(null, events)", "socket", () -> poller.monitorSocket(null, DATA));
      expectNamed(
          "monitorSocket(socket, null)", "events", () -> poller.monitorSocket(server, null));
      expectNamed(
          "monitorSocket(socket, {null, ...})",
          "events",
          () -> poller.monitorSocket(server, setWithNull(SocketEvent.CONNECTION_AVAILABLE)));
      expectNamed(
          "setMonitoredEvents(null, events)",
          "socket",
          () -> poller.setMonitoredEvents(null, DATA));
      expectNamed(
          "setMonitoredEvents(socket, null)",
          "events",
          () -> poller.setMonitoredEvents(client, null));
      expectNamed(
          "setMonitoredEvents(socket, {null, ...})",
          "events",
          () -> poller.setMonitoredEvents(client, setWithNull(SocketEvent.DATA_AVAILABLE)));
      expectNamed("unmonitorSocket(null)", "socket", () -> poller.unmonitorSocket(null));
      expectNamed("isMonitored(null)", "socket", () -> poller.isMonitored(null));
      expectNamed("monitoredEvents(null)", "socket", () -> poller.monitoredEvents(null));
      expectNamed("waitForEvents(null)", "timeout", () -> poller.waitForEvents(null));
      assertEquals(List.of(), wrong);
      // nothing changed on the way
      assertEquals(Set.of(client), poller.monitoredSockets());
      assertEquals(DATA, poller.monitoredEvents(client));
    }
  }

  @Test
  void pollSocketsNamesANullListOrElementAndItsIndex() throws Exception {
    try (Ipv4TcpServer server = ipc.makeIpv4TcpServer("127.0.0.1", 0);
        Ipv4TcpStream client = ipc.connectToIpv4TcpServer("127.0.0.1", server.port())) {
      List<IpcSocket> withNull = Arrays.asList(server, null);
      List<Set<SocketEvent>> events = List.of(AVAILABLE, DATA);
      List<Set<SocketEvent>> eventsWithNull = Arrays.asList(AVAILABLE, null);
      List<IpcSocket> both = List.of(server, client);
      expectNamed(
          "pollSockets(null, events, timeout)",
          "sockets",
          () -> BasicBinaryIpc.pollSockets(null, events, Timeout.IMMEDIATE));
      expectNamed(
          "pollSockets(sockets, null, timeout)",
          "events",
          () -> BasicBinaryIpc.pollSockets(both, null, Timeout.IMMEDIATE));
      expectNamed(
          "pollSockets(sockets, events, null)",
          "timeout",
          () -> BasicBinaryIpc.pollSockets(both, events, null));
      expectNamed(
          "pollSockets([server, null], ...)",
          "sockets[1]",
          () -> BasicBinaryIpc.pollSockets(withNull, events, Timeout.IMMEDIATE));
      expectNamed(
          "pollSockets(..., [set, null], ...)",
          "events[1]",
          () -> BasicBinaryIpc.pollSockets(both, eventsWithNull, Timeout.IMMEDIATE));
      expectNamed(
          "pollSockets(..., [set, {null, ...}], ...)",
          "events[1]",
          () ->
              BasicBinaryIpc.pollSockets(
                  both,
                  List.of(AVAILABLE, setWithNull(SocketEvent.DATA_AVAILABLE)),
                  Timeout.IMMEDIATE));
      expectNamed(
          "pollSocket(null, events, timeout)",
          "socket",
          () -> BasicBinaryIpc.pollSocket(null, DATA, Timeout.IMMEDIATE));
      expectNamed(
          "pollSocket(socket, null, timeout)",
          "events",
          () -> BasicBinaryIpc.pollSocket(client, null, Timeout.IMMEDIATE));
      expectNamed(
          "pollSocket(socket, events, null)",
          "timeout",
          () -> BasicBinaryIpc.pollSocket(client, DATA, null));
      expectNamed(
          "poll((SocketEvent) null, timeout)",
          "event",
          () -> client.poll((SocketEvent) null, Timeout.IMMEDIATE));
      expectNamed(
          "poll(event, null)", "timeout", () -> client.poll(SocketEvent.DATA_AVAILABLE, null));
      assertEquals(List.of(), wrong);
    }
  }

  @Test
  void basicBinaryIpcFunctionsNameTheirNullArgument() throws Exception {
    Path p = dir.resolve("n.sock");
    expectNamed(
        "makeIpv4TcpServer(null, port)",
        "hostAddress",
        () -> BasicBinaryIpc.makeIpv4TcpServer(null, 0));
    expectNamed(
        "makeIpv4TcpServer(host, port, null)",
        "options",
        () -> BasicBinaryIpc.makeIpv4TcpServer(BasicBinaryIpc.IPV4_LOOPBACK, 0, null));
    expectNamed(
        "connectToIpv4TcpServer(null, port)",
        "hostAddress",
        () -> BasicBinaryIpc.connectToIpv4TcpServer(null, 1));
    expectNamed(
        "connectToIpv4TcpServer(null, port, local, 0)",
        "hostAddress",
        () -> BasicBinaryIpc.connectToIpv4TcpServer(null, 1, BasicBinaryIpc.IPV4_LOOPBACK, 0));
    expectNamed(
        "makeIpv6TcpServer(null, port)",
        "hostAddress",
        () -> BasicBinaryIpc.makeIpv6TcpServer(null, 0));
    expectNamed(
        "makeIpv6TcpServer(host, port, null)",
        "options",
        () -> BasicBinaryIpc.makeIpv6TcpServer(BasicBinaryIpc.IPV6_LOOPBACK, 0, null));
    expectNamed(
        "connectToIpv6TcpServer(null, port)",
        "hostAddress",
        () -> BasicBinaryIpc.connectToIpv6TcpServer(null, 1));
    expectNamed(
        "connectToIpv6TcpServer(null, port, local, 0)",
        "hostAddress",
        () -> BasicBinaryIpc.connectToIpv6TcpServer(null, 1, BasicBinaryIpc.IPV6_LOOPBACK, 0));
    expectNamed("makeLocalServer(null)", "pathname", () -> BasicBinaryIpc.makeLocalServer(null));
    expectNamed(
        "makeLocalServer(null, options)",
        "pathname",
        () -> BasicBinaryIpc.makeLocalServer(null, ServerOptions.defaults()));
    expectNamed(
        "makeLocalServer(path, null)", "options", () -> BasicBinaryIpc.makeLocalServer(p, null));
    expectNamed(
        "connectToLocalServer(null)", "pathname", () -> BasicBinaryIpc.connectToLocalServer(null));
    expectNamed(
        "resolveIpv4Address(null)", "hostname", () -> BasicBinaryIpc.resolveIpv4Address(null));
    assertEquals(List.of(), wrong);
    assertTrue(Files.notExists(p), "a refused call made " + p);
  }

  @Test
  void aSocketOfAnotherKindIsRefusedNamingIt() throws Exception {
    IpcSocket foreign =
        new IpcSocket() {
          @Override
          public boolean isClosed() {
            return false;
          }

          @Override
          public Set<SocketEvent> supportedEvents() {
            return DATA;
          }

          @Override
          public Set<SocketEvent> poll(Set<SocketEvent> events, Timeout timeout) {
            return Set.of();
          }

          @Override
          public boolean poll(SocketEvent event, Timeout timeout) {
            return false;
          }

          @Override
          public void close() {}

          @Override
          public String toString() {
            return "ForeignSocket";
          }
        };
    try (Poller poller = ipc.makePoller()) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> poller.monitorSocket(foreign, DATA));
      assertTrue(e.getMessage().contains("ForeignSocket"), e.getMessage());
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> BasicBinaryIpc.pollSockets(List.of(foreign), List.of(DATA), Timeout.IMMEDIATE));
      assertTrue(e.getMessage().contains("ForeignSocket"), e.getMessage());
    }
  }
}
