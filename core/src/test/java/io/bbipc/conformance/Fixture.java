package io.bbipc.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv6TcpServer;
import io.bbipc.LocalServer;
import io.bbipc.ServerOptions;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.TransportInfo;
import io.bbipc.spi.TransportProvider;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;

/**
 * One way to run a conformance test: a kind of stream (TCP over IPv4 or IPv6, or local), the
 * transports of its server and client ends, which may differ (an NIO client to an epoll server,
 * say), and whether the runtimes have I/O threads or are caller-driven.
 *
 * <p>Caller-driven fixtures pair each transport with itself only, and their runtimes are owned by
 * the test's thread: a test that runs both ends on one thread drives both (a waiting owner runs
 * every runtime it owns), while two caller-driven runtimes of different transports on one thread
 * would each block a millisecond at a time, which the suite does not need to measure.
 */
public record Fixture(Kind kind, String serverTransport, String clientTransport, Mode mode) {
  /** How long any single wait in the suite may take before the test fails. */
  public static final Timeout WAIT = Timeout.seconds(10);

  /** The address strategy. */
  public enum Kind {
    /** TCP on 127.0.0.1. */
    TCP("127.0.0.1"),
    /** Local sockets in a temporary directory. */
    LOCAL(null),
    /** TCP on ::1; in the conformance suite only ({@link #conformance()}). */
    TCP6("::1");

    private final String loopback;

    Kind(String loopback) {
      this.loopback = loopback;
    }

    public boolean isTcp() {
      return loopback != null;
    }

    /** The loopback address a TCP kind's servers listen on and its clients connect to. */
    public String loopback() {
      if (loopback == null) {
        throw new IllegalStateException(this + " has no IP address");
      }
      return loopback;
    }
  }

  /** Whether the runtimes have event loop threads or are driven by the thread that calls them. */
  public enum Mode {
    THREADED,
    CALLER_DRIVEN
  }

  private static final Map<String, Ipc> RUNTIMES = new ConcurrentHashMap<>();

  /** Numbers the socket files of {@link #newServer}. */
  private static final AtomicLong SERVERS = new AtomicLong();

  /** The caller-driven runtimes each test thread owns, one per transport, kept for the suite. */
  private static final ThreadLocal<Map<String, Ipc>> OWNED_RUNTIMES =
      ThreadLocal.withInitial(java.util.HashMap::new);

  /** A threaded fixture, as every test had before caller-driven runtimes. */
  public Fixture(Kind kind, String serverTransport, String clientTransport) {
    this(kind, serverTransport, clientTransport, Mode.THREADED);
  }

  /**
   * TCP on 127.0.0.1 and local sockets over every pair of transports found on the class path,
   * available or not: what the reliability suite runs.
   */
  public static List<Fixture> all() {
    return over(List.of(Kind.TCP, Kind.LOCAL));
  }

  /**
   * What the conformance suite runs: {@link #all()}, and TCP on ::1 over every pair too (skipped,
   * with the reason, where the machine has no IPv6 loopback).
   */
  public static List<Fixture> conformance() {
    return over(List.of(Kind.TCP, Kind.TCP6, Kind.LOCAL));
  }

  private static List<Fixture> over(List<Kind> kinds) {
    List<Fixture> all = new ArrayList<>();
    List<TransportInfo> transports = Ipc.transports();
    // the testsuite module leaves out nio->nio: core's own run, on nio alone, covered it
    boolean skipNioOnly = Boolean.getBoolean("bbipc.testsuite");
    for (Kind kind : kinds) {
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

  /** The TCP fixtures of {@link #all()}, on 127.0.0.1. */
  public static List<Fixture> tcp() {
    return ofKind(all(), Kind.TCP);
  }

  /** The local-socket fixtures of {@link #all()}. */
  public static List<Fixture> local() {
    return ofKind(all(), Kind.LOCAL);
  }

  /** The fixtures of one kind among {@code fixtures}. */
  public static List<Fixture> ofKind(List<Fixture> fixtures, Kind kind) {
    return fixtures.stream().filter(f -> f.kind == kind).toList();
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

  /** One threaded fixture per kind of {@link #all()} with both ends on the same transport. */
  public static List<Fixture> sameTransport() {
    return same(all());
  }

  /** One fixture per kind of {@link #conformance()} with both ends on the same transport. */
  public static List<Fixture> conformanceSameTransport() {
    return same(conformance());
  }

  private static List<Fixture> same(List<Fixture> fixtures) {
    List<Fixture> same = new ArrayList<>();
    for (Fixture f : fixtures) {
      if (f.serverTransport.equals(f.clientTransport) && f.mode == Mode.THREADED) {
        same.add(f);
      }
    }
    return same;
  }

  /**
   * Skips the test, with the reason, when either transport cannot run here, or the fixture is TCP
   * over IPv6 and the machine has no IPv6 loopback.
   */
  public void assumeAvailable() {
    if (kind == Kind.TCP6) {
      Ipv6Loopback.assumeAvailable();
    }
    for (String name : List.of(serverTransport, clientTransport)) {
      for (TransportInfo t : Ipc.transports()) {
        if (t.name().equals(name) && !t.isAvailable()) {
          Assumptions.assumeTrue(
              false,
              "transport "
                  + name
                  + " is unavailable here: "
                  + t.unavailabilityCause().orElseThrow());
        }
      }
    }
  }

  /**
   * The provider of a transport found here, available or not, as {@link Ipc#transports()} lists it.
   */
  public static TransportProvider provider(String transport) {
    for (TransportInfo t : Ipc.transports()) {
      if (t.name().equals(transport)) {
        return t.provider();
      }
    }
    throw new IllegalArgumentException(
        "no transport \"" + transport + "\" here: " + Ipc.transports());
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
    return makeServer(serverIpc(), dir.resolve("s.sock"), ServerOptions.defaults());
  }

  /** A server of this fixture's kind with default options made by {@code ipc}. */
  public StreamServer makeServer(Ipc ipc, Path socketFile) throws IpcException {
    return makeServer(ipc, socketFile, ServerOptions.defaults());
  }

  /**
   * A server of this fixture's kind made by {@code ipc}: on the loopback address, or at {@code
   * socketFile}.
   */
  public StreamServer makeServer(Ipc ipc, Path socketFile, ServerOptions options)
      throws IpcException {
    switch (kind) {
      case TCP:
        return ipc.makeIpv4TcpServer(kind.loopback(), 0, options);
      case TCP6:
        return ipc.makeIpv6TcpServer(kind.loopback(), 0, options);
      default:
        return ipc.makeLocalServer(socketFile, options);
    }
  }

  public StreamSocket connect(StreamServer server) throws IpcException {
    return connect(clientIpc(), server);
  }

  /** A stream made by {@code ipc}, connecting to a server of this fixture's kind. */
  public StreamSocket connect(Ipc ipc, StreamServer server) throws IpcException {
    return kind.isTcp()
        ? connectToPort(ipc, port(server))
        : ipc.connectToLocalServer(((LocalServer) server).localPathname());
  }

  /** A stream made by {@code ipc}, connecting to a port on this TCP kind's loopback address. */
  public StreamSocket connectToPort(Ipc ipc, int port) throws IpcException {
    return kind == Kind.TCP6
        ? ipc.connectToIpv6TcpServer(kind.loopback(), port)
        : ipc.connectToIpv4TcpServer(kind.loopback(), port);
  }

  /** The port of a TCP server, IPv4 or IPv6. */
  public static int port(StreamServer server) {
    return server instanceof Ipv6TcpServer
        ? ((Ipv6TcpServer) server).port()
        : ((Ipv4TcpServer) server).port();
  }

  /** The socket address of a port on this TCP kind's loopback address. */
  public InetSocketAddress loopback(int port) {
    try {
      return new InetSocketAddress(InetAddress.getByName(kind.loopback()), port);
    } catch (java.net.UnknownHostException impossible) {
      throw new AssertionError(impossible);
    }
  }

  /** A port on this TCP kind's loopback address where nothing listens (one that just did). */
  public int freePort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, loopback(0).getAddress())) {
      return probe.getLocalPort();
    }
  }

  /**
   * A server of this fixture's kind made by {@code ipc}: on the loopback address, or at a new
   * socket file in {@code dir}, so that a test may make several.
   */
  public StreamServer newServer(Ipc ipc, Path dir) throws IpcException {
    return newServer(ipc, dir, ServerOptions.defaults());
  }

  /** {@link #newServer(Ipc, Path)} with {@code options}. */
  public StreamServer newServer(Ipc ipc, Path dir, ServerOptions options) throws IpcException {
    return makeServer(ipc, dir.resolve("s" + SERVERS.incrementAndGet() + ".sock"), options);
  }

  /** A server, a connected client and the accepted end, closed together. */
  public Connection connection(Path dir) throws IpcException {
    return connectionTo(makeServer(dir), clientIpc());
  }

  /**
   * A server of this fixture's kind made by {@code serverIpc} (a local one at a new socket file in
   * {@code dir}), a client of {@code clientIpc} connected to it, and the accepted end, closed
   * together.
   */
  public Connection connection(Ipc serverIpc, Ipc clientIpc, Path dir) throws IpcException {
    return connectionTo(newServer(serverIpc, dir), clientIpc);
  }

  /** A connection to {@code server}, which is closed if connecting fails. */
  private Connection connectionTo(StreamServer server, Ipc clientIpc) throws IpcException {
    try {
      StreamSocket[] ends = connectAndAccept(clientIpc, server);
      return new Connection(server, ends[0], ends[1]);
    } catch (IpcException | RuntimeException | Error e) {
      server.close();
      throw e;
    }
  }

  /**
   * Connects a client of {@code ipc} to {@code server}, which stays open, and accepts it: {client,
   * accepted}, both connected.
   */
  public StreamSocket[] connectAndAccept(Ipc ipc, StreamServer server) throws IpcException {
    StreamSocket client = connect(ipc, server);
    assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT), "no connection to accept");
    StreamSocket accepted = server.acceptConnection();
    assertTrue(client.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT), "the client did not connect");
    return new StreamSocket[] {client, accepted};
  }

  @Override
  public String toString() {
    return kind
        + " "
        + clientTransport
        + "->"
        + serverTransport
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
