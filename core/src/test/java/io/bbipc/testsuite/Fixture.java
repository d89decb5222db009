package io.bbipc.testsuite;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.LocalServer;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.TransportInfo;
import io.bbipc.spi.TransportProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;

/**
 * One way to run a conformance test: a kind of stream (TCP or local), the transports of its
 * server and client ends, which may differ (an NIO client to an epoll server, say), and whether
 * the runtimes have I/O threads or are caller-driven.
 *
 * <p>Caller-driven fixtures pair each transport with itself only, and their runtimes are owned
 * by the test's thread: a test that runs both ends on one thread drives both (a waiting owner
 * runs every runtime it owns), while two caller-driven runtimes of different transports on one
 * thread would each block a millisecond at a time, which the suite does not need to measure.
 */
public record Fixture(Kind kind, String serverTransport, String clientTransport, Mode mode) {
  /** How long any single wait in the suite may take before the test fails. */
  public static final Timeout WAIT = Timeout.seconds(10);

  /** The address strategy. */
  public enum Kind { TCP, LOCAL }

  /** Whether the runtimes have event loop threads or are driven by the thread that calls them. */
  public enum Mode { THREADED, CALLER_DRIVEN }

  private static final Map<String, Ipc> RUNTIMES = new ConcurrentHashMap<>();
  /** The caller-driven runtimes each test thread owns, one per transport, kept for the suite. */
  private static final ThreadLocal<Map<String, Ipc>> OWNED_RUNTIMES =
      ThreadLocal.withInitial(java.util.HashMap::new);

  /** A threaded fixture, as every test had before caller-driven runtimes. */
  public Fixture(Kind kind, String serverTransport, String clientTransport) {
    this(kind, serverTransport, clientTransport, Mode.THREADED);
  }

  /** Every kind over every pair of transports found on the class path, available or not. */
  public static List<Fixture> all() {
    List<Fixture> all = new ArrayList<>();
    List<TransportInfo> transports = Ipc.transports();
    // the testsuite module leaves out nio->nio: core's own run, on nio alone, covered it
    boolean skipNioOnly = Boolean.getBoolean("bbipc.testsuite");
    for (Kind kind : Kind.values()) {
      for (TransportInfo server : transports) {
        for (TransportInfo client : transports) {
          if (skipNioOnly && server.name().equals("nio") && client.name().equals("nio")) {
            continue;
          }
          all.add(new Fixture(kind, server.name(), client.name()));
        }
      }
      for (TransportInfo t : transports) {
        if (!(skipNioOnly && t.name().equals("nio"))) {
          all.add(new Fixture(kind, t.name(), t.name(), Mode.CALLER_DRIVEN));
        }
      }
    }
    return all;
  }

  /** Every fixture with threaded runtimes. */
  public static List<Fixture> threaded() {
    List<Fixture> threaded = new ArrayList<>();
    for (Fixture f : all()) {
      if (f.mode == Mode.THREADED) {
        threaded.add(f);
      }
    }
    return threaded;
  }

  /** One threaded fixture per kind with both ends on the same transport. */
  public static List<Fixture> sameTransport() {
    List<Fixture> same = new ArrayList<>();
    for (Fixture f : all()) {
      if (f.serverTransport.equals(f.clientTransport) && f.mode == Mode.THREADED) {
        same.add(f);
      }
    }
    return same;
  }

  /** Skips the test, with the reason, when either transport cannot run here. */
  public void assumeAvailable() {
    for (String name : List.of(serverTransport, clientTransport)) {
      for (TransportInfo t : Ipc.transports()) {
        if (t.name().equals(name) && !t.isAvailable()) {
          Assumptions.assumeTrue(false, "transport " + name + " is unavailable here: "
              + t.unavailabilityCause().orElseThrow());
        }
      }
    }
  }

  /** The provider of a transport found here, available or not, as {@link Ipc#transports()} lists it. */
  public static TransportProvider provider(String transport) {
    for (TransportInfo t : Ipc.transports()) {
      if (t.name().equals(transport)) {
        return t.provider();
      }
    }
    throw new IllegalArgumentException("no transport \"" + transport + "\" here: " + Ipc.transports());
  }

  /** A runtime per transport, shared by the whole suite; its threads are daemons. */
  public static Ipc runtime(String transport) {
    return RUNTIMES.computeIfAbsent(transport, t -> Ipc.builder().transport(t).build());
  }

  public Ipc serverIpc() {
    assumeAvailable();
    return mode == Mode.CALLER_DRIVEN ? ownedRuntime(serverTransport) : runtime(serverTransport);
  }

  public Ipc clientIpc() {
    assumeAvailable();
    return mode == Mode.CALLER_DRIVEN ? ownedRuntime(clientTransport) : runtime(clientTransport);
  }

  /** The current thread's caller-driven runtime of a transport, made on first use. */
  private static Ipc ownedRuntime(String transport) {
    Map<String, Ipc> mine = OWNED_RUNTIMES.get();
    Ipc ipc = mine.get(transport);
    if (ipc == null || ipc.eventLoopGroup().isShuttingDown()) {
      ipc = Ipc.builder().transport(transport).callerDriven(true).build();
      mine.put(transport, ipc);
    }
    return ipc;
  }

  /** A builder for a runtime of this fixture's mode; the test owns (and closes) what it builds. */
  public Ipc.Builder builder(String transport) {
    return Ipc.builder().transport(transport).callerDriven(mode == Mode.CALLER_DRIVEN);
  }

  /** Skips the test in caller-driven mode, where only the owner thread may use the runtime. */
  public void assumeThreaded(String why) {
    Assumptions.assumeTrue(mode == Mode.THREADED, "needs runtimes with I/O threads: " + why);
  }

  public boolean isCallerDriven() {
    return mode == Mode.CALLER_DRIVEN;
  }

  public StreamServer makeServer(Path dir) throws IpcException {
    return kind == Kind.TCP ? serverIpc().makeIpv4TcpServer("127.0.0.1", 0)
        : serverIpc().makeLocalServer(dir.resolve("s.sock"));
  }

  public StreamSocket connect(StreamServer server) throws IpcException {
    return kind == Kind.TCP
        ? clientIpc().connectToIpv4TcpServer("127.0.0.1", ((Ipv4TcpServer) server).port())
        : clientIpc().connectToLocalServer(((LocalServer) server).localPathname());
  }

  /** A server, a connected client and the accepted end, closed together. */
  public Connection connection(Path dir) throws IpcException {
    StreamServer server = makeServer(dir);
    try {
      StreamSocket client = connect(server);
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT), "no connection to accept");
      StreamSocket accepted = server.acceptConnection();
      assertTrue(client.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT), "client did not connect");
      return new Connection(server, client, accepted);
    } catch (IpcException | RuntimeException | Error e) {
      server.close();
      throw e;
    }
  }

  @Override
  public String toString() {
    return kind + " " + clientTransport + "->" + serverTransport
        + (mode == Mode.CALLER_DRIVEN ? " caller-driven" : "");
  }

  /** The three sockets of one connection. */
  public record Connection(StreamServer server, StreamSocket client, StreamSocket accepted)
      implements AutoCloseable {
    @Override
    public void close() {
      client.close();
      accepted.close();
      server.close();
    }
  }
}
