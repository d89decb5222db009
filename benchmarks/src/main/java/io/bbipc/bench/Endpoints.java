package io.bbipc.bench;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.TransportInfo;
import io.bbipc.spi.TransportProvider;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Makes connected pairs for each system, so every benchmark sets up the same way. */
final class Endpoints {
  static final String LOOPBACK = "127.0.0.1";

  /** bbipc's default outbound limit; raw Netty gets the same water marks so both queue alike. */
  static final int OUTBOUND_LIMIT = Ipc.DEFAULT_BUFFER_LIMIT;

  static final Timeout SETUP_TIMEOUT = Timeout.seconds(30);

  /**
   * The spin of {@link Sys#BBIPC_SYNC_SPIN}, the one found, on the 2-vCPU machine the benchmarks
   * ran on, to avoid most vCPU halts.
   */
  static final java.time.Duration SPIN = java.time.Duration.ofNanos(50_000);

  private Endpoints() {}

  /** The transports that can run here, best first. */
  static List<String> availableTransports() {
    List<String> names = new ArrayList<>();
    for (TransportInfo t : Ipc.transports()) {
      if (t.isAvailable()) {
        names.add(t.name());
      }
    }
    return names;
  }

  /** The provider of an available transport, for raw Netty on the same transport as bbipc. */
  static TransportProvider provider(String transport) {
    for (TransportInfo t : Ipc.transports()) {
      if (t.name().equals(transport) && t.isAvailable()) {
        return t.provider();
      }
    }
    throw new IllegalArgumentException(
        "transport \""
            + transport
            + "\" is not available here; "
            + "transports: "
            + Ipc.transports());
  }

  /**
   * The event loop threads bbipc gives a runtime by default ({@code Ipc.Builder.ioThreads}); raw
   * Netty gets as many, so neither has more threads to spread work over.
   */
  static int ioThreads() {
    return Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 4));
  }

  /** A fresh directory for one local socket file; short, since paths are limited to 106 bytes. */
  static Path socketDir() throws IOException {
    return Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "bbipc-bench");
  }

  static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (var files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(p);
      }
      Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // a leftover temp directory is harmless, and the measurement already ran
    }
  }

  static void require(boolean ok, String what) throws IOException {
    if (!ok) {
      throw new IOException(what);
    }
  }

  // ---------------------------------------------------------------- bbipc

  /** A bbipc runtime, a server and one connected pair on it. */
  static final class BbipcPair implements AutoCloseable {
    final Ipc ipc;
    final StreamServer server;
    final StreamSocket client;
    final StreamSocket accepted;
    private final Path dir;

    private BbipcPair(
        Ipc ipc, StreamServer server, StreamSocket client, StreamSocket accepted, Path dir) {
      this.ipc = ipc;
      this.server = server;
      this.client = client;
      this.accepted = accepted;
      this.dir = dir;
    }

    static BbipcPair open(String transport, Family family) throws IOException {
      return open(transport, family, java.time.Duration.ZERO);
    }

    static BbipcPair open(String transport, Family family, java.time.Duration spin)
        throws IOException {
      Ipc ipc = Ipc.builder().transport(transport).spinBeforePark(spin).build();
      Path dir = null;
      try {
        StreamServer server;
        StreamSocket client;
        if (family == Family.TCP) {
          Ipv4TcpServer s = ipc.makeIpv4TcpServer(LOOPBACK, 0);
          server = s;
          client = ipc.connectToIpv4TcpServer(LOOPBACK, s.port());
        } else {
          dir = socketDir();
          Path path = dir.resolve("s.sock");
          server = ipc.makeLocalServer(path);
          client = ipc.connectToLocalServer(path);
        }
        awaitConnected(client, "bbipc " + transport + " " + family);
        require(
            server.poll(SocketEvent.CONNECTION_AVAILABLE, SETUP_TIMEOUT),
            "bbipc " + transport + " " + family + ": the server saw no connection within 30 s");
        StreamSocket accepted = server.acceptConnection();
        return new BbipcPair(ipc, server, client, accepted, dir);
      } catch (IOException | RuntimeException e) {
        ipc.close();
        deleteQuietly(dir);
        throw e;
      }
    }

    @Override
    public void close() {
      client.close();
      accepted.close();
      server.close();
      ipc.close();
      deleteQuietly(dir);
    }
  }

  // ---------------------------------------------------------------- bbipc, caller-driven

  /** The busy poll of {@link Sys#BBIPC_SYNC_CALLER_BUSY}: the same 50 µs as {@link #SPIN}. */
  static final java.time.Duration BUSY_POLL = SPIN;

  /**
   * One end on each of two caller-driven runtimes: the accepting end's runtime is owned by an
   * {@link OwnerThread} (which also made the server), the connecting end's by the thread that
   * called {@link #open}, which alone may use {@link #client}.
   */
  static final class CallerDrivenPair implements AutoCloseable {
    final OwnerThread serverOwner;
    final CallerDrivenServer server;
    final StreamSocket accepted;
    final Ipc clientIpc;
    final StreamSocket client;

    private CallerDrivenPair(
        OwnerThread serverOwner,
        CallerDrivenServer server,
        StreamSocket accepted,
        Ipc clientIpc,
        StreamSocket client) {
      this.serverOwner = serverOwner;
      this.server = server;
      this.accepted = accepted;
      this.clientIpc = clientIpc;
      this.client = client;
    }

    /** Opens the pair; the calling thread becomes the owner of the client's runtime. */
    static CallerDrivenPair open(
        String transport, Family family, java.time.Duration busyPoll, String serverThreadName)
        throws Exception {
      OwnerThread owner = new OwnerThread(serverThreadName, transport, busyPoll);
      Ipc clientIpc = null;
      CallerDrivenServer server = null;
      try {
        server =
            PingPong.await(
                owner.submit(ipc -> CallerDrivenServer.make(ipc, family)),
                "caller-driven " + transport + " server");
        CallerDrivenServer s = server;
        java.util.concurrent.CompletableFuture<StreamSocket> accepted =
            owner.submit(ipc -> s.accept());
        clientIpc = OwnerThread.build(transport, busyPoll);
        StreamSocket client = server.connect(clientIpc);
        return new CallerDrivenPair(
            owner,
            server,
            PingPong.await(accepted, "caller-driven " + transport + " accept"),
            clientIpc,
            client);
      } catch (Exception | Error e) {
        if (clientIpc != null) {
          clientIpc.close();
        }
        owner.close();
        if (server != null) {
          deleteQuietly(server.dir);
        }
        throw e;
      }
    }

    /**
     * Closes the client's runtime (from its owner), then stops the server's owner, which closes its
     * own.
     */
    @Override
    public void close() {
      clientIpc.close();
      serverOwner.close();
      deleteQuietly(server.dir);
    }
  }

  /** A server made on a caller-driven runtime by its owner, and where a client connects to it. */
  static final class CallerDrivenServer {
    final StreamServer server;
    final Family family;
    final int port;
    final Path path;
    final Path dir;
    final String what;

    private CallerDrivenServer(
        StreamServer server, Family family, int port, Path path, Path dir, String what) {
      this.server = server;
      this.family = family;
      this.port = port;
      this.path = path;
      this.dir = dir;
      this.what = what;
    }

    /** On the owner of {@code ipc}. */
    static CallerDrivenServer make(Ipc ipc, Family family) throws IOException {
      String what = "bbipc caller-driven " + ipc.transportName() + " " + family;
      if (family == Family.TCP) {
        Ipv4TcpServer s = ipc.makeIpv4TcpServer(LOOPBACK, 0);
        return new CallerDrivenServer(s, family, s.port(), null, null, what);
      }
      Path dir = socketDir();
      Path path = dir.resolve("s.sock");
      try {
        return new CallerDrivenServer(ipc.makeLocalServer(path), family, 0, path, dir, what);
      } catch (IOException | RuntimeException e) {
        deleteQuietly(dir);
        throw e;
      }
    }

    /** On the server's owner: waits for one connection and accepts it. */
    StreamSocket accept() throws IOException {
      require(
          server.poll(SocketEvent.CONNECTION_AVAILABLE, SETUP_TIMEOUT),
          what + ": the server saw no connection within 30 s");
      return server.acceptConnection();
    }

    /** On the owner of {@code ipc}, another runtime: connects and waits until connected. */
    StreamSocket connect(Ipc ipc) throws IOException {
      StreamSocket c =
          family == Family.TCP
              ? ipc.connectToIpv4TcpServer(LOOPBACK, port)
              : ipc.connectToLocalServer(path);
      awaitConnected(c, what);
      return c;
    }
  }

  /**
   * Waits for the connect to end (DETERMINED, so a refusal is not a 30 s wait) and checks it
   * succeeded.
   */
  static void awaitConnected(StreamSocket s, String what) throws IOException {
    require(
        s.poll(SocketEvent.DETERMINED, SETUP_TIMEOUT),
        what + ": the connect did not end within 30 s");
    require(s.connectionSucceeded(), what + ": the connect failed");
  }

  /** Writes all of {@code b[0..len)}, waiting for room when the outbound buffer is full. */
  static void writeFully(StreamSocket s, byte[] b, int len) throws IpcException {
    int n = 0;
    while (n < len) {
      int w = s.writeToStream(b, n, len);
      n += w;
      if (w == 0) {
        s.poll(SocketEvent.READY_TO_WRITE, Timeout.INDEFINITE);
      }
    }
  }

  /**
   * Reads exactly {@code len} bytes: poll for DATA_AVAILABLE, then read, as a plain synchronous
   * user would.
   */
  static void readFully(StreamSocket s, byte[] b, int len) throws IpcException {
    int n = 0;
    while (n < len) {
      s.poll(SocketEvent.DATA_AVAILABLE, Timeout.INDEFINITE);
      n += s.readFromStream(b, n, len);
    }
  }

  // ---------------------------------------------------------------- raw Netty

  static EventLoopGroup nettyGroup(String transport) {
    return new MultiThreadIoEventLoopGroup(
        ioThreads(),
        new DefaultThreadFactory("netty-" + transport, true),
        provider(transport).ioHandlerFactory());
  }

  static void shutdown(EventLoopGroup group) {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
  }

  /** A raw Netty server and the address a client connects to. */
  static final class NettyServer implements AutoCloseable {
    final Channel channel;
    final SocketAddress address;
    private final Path dir;

    private NettyServer(Channel channel, SocketAddress address, Path dir) {
      this.channel = channel;
      this.address = address;
      this.dir = dir;
    }

    static NettyServer open(
        EventLoopGroup group, String transport, Family family, ChannelHandler childHandler)
        throws IOException {
      TransportProvider p = provider(transport);
      ServerBootstrap b =
          new ServerBootstrap()
              .group(group)
              .option(ChannelOption.SO_BACKLOG, 4096)
              .childOption(
                  ChannelOption.WRITE_BUFFER_WATER_MARK,
                  new WriteBufferWaterMark(OUTBOUND_LIMIT / 2, OUTBOUND_LIMIT))
              .childHandler(childHandler);
      Path dir = null;
      SocketAddress bindTo;
      if (family == Family.TCP) {
        b.channelFactory(new ReflectiveChannelFactory<>(p.tcpServerChannelType()))
            .childOption(ChannelOption.TCP_NODELAY, true);
        bindTo = new InetSocketAddress(LOOPBACK, 0);
      } else {
        b.channelFactory(new ReflectiveChannelFactory<>(p.localServerChannelType()));
        dir = socketDir();
        bindTo = p.localAddress(dir.resolve("s.sock"));
      }
      Channel ch = b.bind(bindTo).syncUninterruptibly().channel();
      return new NettyServer(ch, family == Family.TCP ? ch.localAddress() : bindTo, dir);
    }

    @Override
    public void close() {
      channel.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
      deleteQuietly(dir);
    }
  }

  static Bootstrap nettyClient(
      EventLoopGroup group, String transport, Family family, ChannelHandler handler) {
    TransportProvider p = provider(transport);
    Bootstrap b =
        new Bootstrap()
            .group(group)
            .handler(handler)
            .option(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(OUTBOUND_LIMIT / 2, OUTBOUND_LIMIT));
    if (family == Family.TCP) {
      b.channelFactory(new ReflectiveChannelFactory<>(p.tcpChannelType()))
          .option(ChannelOption.TCP_NODELAY, true);
    } else {
      b.channelFactory(new ReflectiveChannelFactory<>(p.localChannelType()));
    }
    return b;
  }

  // ---------------------------------------------------------------- JDK

  /** A JDK server channel, blocking. */
  static final class JdkServer implements AutoCloseable {
    final ServerSocketChannel channel;
    final SocketAddress address;
    final Family family;
    private final Path dir;

    private JdkServer(ServerSocketChannel channel, SocketAddress address, Family family, Path dir) {
      this.channel = channel;
      this.address = address;
      this.family = family;
      this.dir = dir;
    }

    static JdkServer open(Family family) throws IOException {
      if (family == Family.TCP) {
        ServerSocketChannel ss = ServerSocketChannel.open();
        ss.bind(new InetSocketAddress(LOOPBACK, 0), 4096);
        return new JdkServer(ss, ss.getLocalAddress(), family, null);
      }
      Path dir = socketDir();
      SocketAddress address = UnixDomainSocketAddress.of(dir.resolve("s.sock"));
      ServerSocketChannel ss = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      ss.bind(address, 4096);
      return new JdkServer(ss, address, family, dir);
    }

    SocketChannel connect() throws IOException {
      SocketChannel c = SocketChannel.open(address);
      if (family == Family.TCP) {
        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
      }
      return c;
    }

    SocketChannel accept() throws IOException {
      SocketChannel c = channel.accept();
      if (family == Family.TCP) {
        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
      }
      return c;
    }

    @Override
    public void close() throws IOException {
      channel.close();
      deleteQuietly(dir);
    }
  }
}
