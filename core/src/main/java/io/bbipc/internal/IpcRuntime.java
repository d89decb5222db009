package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv4TcpStream;
import io.bbipc.Ipv6TcpServer;
import io.bbipc.Ipv6TcpStream;
import io.bbipc.LocalServer;
import io.bbipc.LocalStream;
import io.bbipc.NoLocalServerException;
import io.bbipc.Poller;
import io.bbipc.ServerOptions;
import io.bbipc.spi.TransportProvider;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One event loop group and transport, and the sockets and pollers made on it. The public
 * {@code Ipc} class is a thin face over this.
 */
public final class IpcRuntime {
  /** How long making a server may wait for its event loop to bind. */
  private static final long BIND_WAIT_SECONDS = 30;
  /** How long connecting to a local server waits for the kernel's answer before returning it pending. */
  private static final long LOCAL_CONNECT_WAIT_MILLIS = 1000;
  /** How long {@link #close()} lets streams deliver what was written before the loops stop. */
  private static final long CLOSE_FLUSH_MILLIS = 2000;

  private final TransportProvider transport;
  private final EventLoopGroup group;
  private final boolean ownsGroup;
  private final int inboundBufferLimit;
  private final int outboundBufferLimit;
  private final Consumer<ChannelPipeline> pipeline;
  private final int connectTimeoutMillis;
  private volatile long spinNanos;
  private volatile boolean halfClosure;
  private final Set<AbstractSocket> sockets = ConcurrentHashMap.newKeySet();
  private final Set<RealPoller> pollers = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Map<Class<? extends Channel>, ReflectiveChannelFactory<? extends Channel>> channelFactories =
      new ConcurrentHashMap<>();

  private IpcRuntime(TransportProvider transport, EventLoopGroup group, boolean ownsGroup,
                     int inboundBufferLimit, int outboundBufferLimit,
                     Consumer<ChannelPipeline> pipeline, int connectTimeoutMillis) {
    this.transport = transport;
    this.group = group;
    this.ownsGroup = ownsGroup;
    this.inboundBufferLimit = inboundBufferLimit;
    this.outboundBufferLimit = outboundBufferLimit;
    this.pipeline = pipeline;
    this.connectTimeoutMillis = connectTimeoutMillis;
  }

  /** A runtime with its own event loop group of daemon threads. */
  public static IpcRuntime create(TransportProvider transport, int ioThreads,
                                  int inboundBufferLimit, int outboundBufferLimit,
                                  Consumer<ChannelPipeline> pipeline, int connectTimeoutMillis) {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(ioThreads,
        new DefaultThreadFactory("bbipc-" + transport.name(), true), transport.ioHandlerFactory());
    return new IpcRuntime(transport, group, true, inboundBufferLimit, outboundBufferLimit,
        pipeline, connectTimeoutMillis);
  }

  /** A runtime on an application's group, which {@link #close()} leaves running. */
  public static IpcRuntime borrow(TransportProvider transport, EventLoopGroup group,
                                  int inboundBufferLimit, int outboundBufferLimit,
                                  Consumer<ChannelPipeline> pipeline, int connectTimeoutMillis) {
    return new IpcRuntime(transport, group, false, inboundBufferLimit, outboundBufferLimit,
        pipeline, connectTimeoutMillis);
  }

  public String transportName() {
    return transport.name();
  }

  public TransportProvider transport() {
    return transport;
  }

  public EventLoopGroup eventLoopGroup() {
    return group;
  }

  /** How long a waiting user thread spins before it parks; 0 parks at once. */
  long spinNanos() {
    return spinNanos;
  }

  public void spinNanos(long nanos) {
    this.spinNanos = nanos;
  }

  /** Whether the streams this runtime connects allow half-closure. */
  boolean halfClosure() {
    return halfClosure;
  }

  public void halfClosure(boolean allow) {
    this.halfClosure = allow;
  }

  int inboundBufferLimit() {
    return inboundBufferLimit;
  }

  int outboundBufferLimit() {
    return outboundBufferLimit;
  }

  // ---------------------------------------------------------------- TCP

  public Ipv4TcpServer makeIpv4TcpServer(String hostAddress, int port, ServerOptions options)
      throws IpcException {
    InetAddress host = Addresses.parseIpv4(hostAddress, "hostAddress");
    return makeTcpServer(host, port, options, () -> new RealIpv4TcpServer(this, hostAddress, options));
  }

  public Ipv4TcpStream connectToIpv4TcpServer(String hostAddress, int port, String localHostAddress,
                                              int localPort) throws IpcException {
    InetAddress remote = Addresses.parseIpv4(hostAddress, "hostAddress");
    InetAddress local = localHostAddress == null ? null
        : Addresses.parseIpv4(localHostAddress, "localHostAddress");
    return connectTcp(remote, port, local, localPort, Addresses.parseIpv4(Addresses.IPV4_ANY, "any"),
        ch -> new RealIpv4TcpStream(this, ch, hostAddress, port, localHostAddress, localPort));
  }

  /** A server on an IPv6 address; its {@code hostAddress()} is the address's RFC 5952 text. */
  public Ipv6TcpServer makeIpv6TcpServer(String hostAddress, int port, ServerOptions options)
      throws IpcException {
    InetAddress host = Addresses.parseIpv6(hostAddress, "hostAddress");
    String text = Addresses.ipv6Text(host);
    return makeTcpServer(host, port, options, () -> new RealIpv6TcpServer(this, text, options));
  }

  public Ipv6TcpStream connectToIpv6TcpServer(String hostAddress, int port, String localHostAddress,
                                              int localPort) throws IpcException {
    InetAddress remote = Addresses.parseIpv6(hostAddress, "hostAddress");
    InetAddress local = localHostAddress == null ? null
        : Addresses.parseIpv6(localHostAddress, "localHostAddress");
    String remoteText = Addresses.ipv6Text(remote);
    String localText = local == null ? null : Addresses.ipv6Text(local);
    return connectTcp(remote, port, local, localPort, Addresses.ipv6Any(),
        ch -> new RealIpv6TcpStream(this, ch, remoteText, port, localText, localPort));
  }

  /** Checks the rest of a TCP server's arguments, then binds the server {@code make} makes. */
  private <S extends RealTcpServer<?>> S makeTcpServer(InetAddress host, int port,
                                                      ServerOptions options, Supplier<S> make)
      throws IpcException {
    Addresses.checkPort(port, "port");
    Objects.requireNonNull(options, "options");
    if (options.allowedPeerUids() != null) {
      throw new IllegalArgumentException("allowedPeerUids " + options.allowedPeerUids()
          + " applies to local servers only: TCP peers have no user id");
    }
    checkOpen();
    S server = make.get();
    ServerBootstrap b = serverBootstrap(transport.tcpServerChannelType(), options)
        .option(ChannelOption.SO_REUSEADDR, options.reuseAddress())
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            server.accepted(ch).attach();
          }
        });
    bind(server, b, new InetSocketAddress(host, port), server.where(port));
    server.bound();
    return server;
  }

  /**
   * Checks the ports, then starts connecting the stream {@code make} makes; {@code any} is the
   * local address when only a local port is given.
   */
  private <S extends RealTcpStream> S connectTcp(InetAddress remote, int port, InetAddress local,
                                                 int localPort, InetAddress any,
                                                 Function<Channel, S> make) throws IpcException {
    Addresses.checkPort(port, "port");
    Addresses.checkPort(localPort, "localPort");
    checkOpen();
    Channel ch = newChannel(transport.tcpChannelType());
    S stream = make.apply(ch);
    stream.attach();
    SocketAddress localAddress = local == null && localPort == 0 ? null
        : new InetSocketAddress(local == null ? any : local, localPort);
    connect(stream, new InetSocketAddress(remote, port), localAddress);
    return stream;
  }

  // ---------------------------------------------------------------- local

  public LocalServer makeLocalServer(Path pathname, ServerOptions options) throws IpcException {
    Objects.requireNonNull(pathname, "pathname");
    Objects.requireNonNull(options, "options");
    SocketFiles.checkLength(pathname);
    Path temporary = SocketFiles.temporarySibling(pathname);
    checkOpen();
    checkPeerUidsPossible(pathname.toString(), options);
    checkHalfClosurePossible("make a local server at " + pathname, options.halfClosure());
    if (options.reclaimStaleSocket()) {
      SocketFiles.reclaimIfStale(pathname);
    }
    SocketFiles.checkAbsent(pathname);
    temporary = SocketFiles.stage(pathname, temporary);
    RealLocalServer server;
    try {
      server = bindLocal(pathname, transport.localAddress(temporary), options);
    } catch (IpcException | RuntimeException e) {
      SocketFiles.discard(temporary);
      throw e;
    }
    try {
      server.fileKey = SocketFiles.publish(temporary, pathname, options.socketFileMode());
    } catch (IpcException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** A server on a Linux abstract socket name: no file, so nothing to create, clobber or delete. */
  public LocalServer makeAbstractLocalServer(String name, ServerOptions options) throws IpcException {
    Path shown = AbstractNames.check(name);
    Objects.requireNonNull(options, "options");
    checkAbstractNamespace();
    checkOpen();
    checkPeerUidsPossible(shown.toString(), options);
    checkHalfClosurePossible("make a local server at " + shown, options.halfClosure());
    return bindLocal(shown, transport.abstractAddress(name), options);
  }

  private void checkHalfClosurePossible(String what, boolean halfClosure) throws IpcException {
    if (halfClosure && !transport.localHalfClosure()) {
      throw new IpcException("cannot " + what + " with half-closure: transport " + transport.name()
          + " closes a local stream at its peer's end-of-stream (Netty honours ALLOW_HALF_CLOSURE"
          + " only on its TCP channels there); use epoll or kqueue, or TCP", null);
    }
  }

  private void checkPeerUidsPossible(String where, ServerOptions options) throws IpcException {
    if (options.allowedPeerUids() != null && !transport.hasPeerCredentials()) {
      throw new IpcException("cannot make a local server at " + where + " that admits only uids "
          + options.allowedPeerUids() + ": transport " + transport.name()
          + " cannot tell who connects; use a native transport (epoll, io_uring, kqueue)", null);
    }
  }

  private void checkAbstractNamespace() {
    if (!transport.hasAbstractNamespace()) {
      throw new UnsupportedOperationException("transport " + transport.name()
          + " has no abstract socket names; they need Linux and the epoll or io_uring transport");
    }
  }

  private RealLocalServer bindLocal(Path shown, SocketAddress address, ServerOptions options)
      throws IpcException {
    RealLocalServer server = new RealLocalServer(this, shown, options);
    ServerBootstrap b = serverBootstrap(transport.localServerChannelType(), options)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            new RealLocalStream(IpcRuntime.this, ch, shown, server).attach();
          }
        });
    bind(server, b, address, shown.toString());
    return server;
  }

  public LocalStream connectToLocalServer(Path pathname) throws IpcException {
    Objects.requireNonNull(pathname, "pathname");
    SocketFiles.checkLength(pathname);
    checkOpen();
    if (!Files.exists(pathname)) {
      throw new NoLocalServerException(pathname, null);
    }
    return connectLocal(pathname, transport.localAddress(pathname));
  }

  public LocalStream connectToAbstractLocalServer(String name) throws IpcException {
    Path shown = AbstractNames.check(name);
    checkAbstractNamespace();
    checkOpen();
    return connectLocal(shown, transport.abstractAddress(name));
  }

  private LocalStream connectLocal(Path shown, SocketAddress address) throws IpcException {
    checkHalfClosurePossible("connect to " + shown, halfClosure);
    Channel ch = newChannel(transport.localChannelType());
    RealLocalStream stream = new RealLocalStream(this, ch, shown, null);
    stream.attach();
    ChannelFuture connecting = connect(stream, address, null);
    if (!Waiter.onEventLoop()) {
      // A local connect ends at once unless the backlog is full; wait for the attempt so a
      // missing server is an exception here, as the original signals it.
      ch.eventLoop().submit(() -> null).awaitUninterruptibly(BIND_WAIT_SECONDS, TimeUnit.SECONDS);
      // io_uring answers a connect through its completion queue, a moment later
      connecting.awaitUninterruptibly(LOCAL_CONNECT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
      if (connecting.isDone() && !connecting.isSuccess()) {
        stream.close();
        Throwable cause = connecting.cause();
        String message = String.valueOf(cause == null ? null : cause.getMessage());
        if (message.contains("ermission denied") || message.contains("ccess denied")) {
          throw new IpcException("cannot connect to " + shown + ": " + message, null, cause);
        }
        if (message.contains("emporarily unavailable")) {
          // Linux answers EAGAIN, not "in progress", when a local server's backlog is full
          throw new IpcException("cannot connect to " + shown + ": the server's backlog is full ("
              + message + ")", null, cause);
        }
        throw new NoLocalServerException(shown, cause);
      }
    }
    return stream;
  }

  // ---------------------------------------------------------------- adopted channels

  /**
   * Makes a stream of an application's own registered channel: a TCP stream when its addresses
   * are IP addresses (IPv6 when they are IPv6 ones), a local stream when they are paths.
   */
  public RealStream adopt(Channel ch) throws IpcException {
    Objects.requireNonNull(ch, "channel");
    if (!ch.isRegistered()) {
      throw new IllegalArgumentException("channel " + ch + " is not registered with an event loop");
    }
    if (ch instanceof ServerChannel) {
      throw new IllegalArgumentException("channel " + ch + " is a server channel, not a stream");
    }
    if (ch.pipeline().get("bbipc") != null) {
      throw new IllegalArgumentException("channel " + ch + " is already a bbipc stream");
    }
    checkOpen();
    SocketAddress remote = ch.remoteAddress();
    SocketAddress local = ch.localAddress();
    RealStream stream;
    // a channel still connecting has no addresses yet: its class tells TCP from local
    if (ch instanceof SocketChannel || remote instanceof InetSocketAddress
        || local instanceof InetSocketAddress) {
      stream = Addresses.isIpv6(remote != null ? remote : local) ? new RealIpv6TcpStream(this, ch)
          : new RealIpv4TcpStream(this, ch);
    } else {
      Path path = SocketFiles.pathOf(remote);
      stream = new RealLocalStream(this, ch, path != null ? path : SocketFiles.pathOf(local));
    }
    stream.attach();
    adopt(stream);
    return stream;
  }

  // ---------------------------------------------------------------- pollers and lifecycle

  public Poller makePoller() throws IpcException {
    checkOpen();
    RealPoller poller = new RealPoller(this);
    pollers.add(poller);
    return poller;
  }

  void forgetPoller(RealPoller poller) {
    pollers.remove(poller);
  }

  /** Called when a socket is handed to the user, so that {@link #close()} closes it. */
  void adopt(AbstractSocket socket) {
    sockets.add(socket);
    if (closed.get()) {
      socket.close();
    }
  }

  void forget(AbstractSocket socket) {
    sockets.remove(socket);
  }

  public boolean isClosed() {
    return closed.get();
  }

  /** Closes every socket and poller, then the event loop group if this runtime made it. */
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<ChannelFuture> closing = new ArrayList<>();
    for (AbstractSocket socket : sockets) {
      if (socket instanceof RealStream) {
        closing.add(((RealStream) socket).closeFuture());
      }
      socket.close();
    }
    for (RealPoller poller : pollers) {
      poller.close();
    }
    if (Waiter.onEventLoop()) {
      // waiting here could wait for this very thread: stop without waiting
      if (ownsGroup) {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
      }
      return;
    }
    // Streams flush what was written before they close; a borrowed group's owner may shut it
    // down as soon as this returns, so wait for that here too (bounded: a peer may not read).
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_FLUSH_MILLIS);
    for (ChannelFuture f : closing) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        f.awaitUninterruptibly(left, TimeUnit.NANOSECONDS);
      }
    }
    if (ownsGroup) {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
  }

  private void checkOpen() throws IpcException {
    if (closed.get()) {
      throw new IpcException("this bbipc runtime (" + transport.name() + ") is closed", null);
    }
  }

  // ---------------------------------------------------------------- channels

  /**
   * Options and user handlers every stream channel gets, connecting or accepted; the buffering
   * handler goes after these.
   */
  void configureStream(Channel ch, Consumer<ChannelPipeline> serverPipeline) {
    // Netty turns a channel unwritable once more than the high mark is pending, and writeToStream
    // takes up to that point, so a high mark one below the limit caps what waits at the limit.
    // Netty turns it writable again only below the low mark, so that must be at least 1, or a
    // channel of a limit of 1 or 2 would never become writable again (writeToStream also caps
    // what it takes at the limit, which the high mark of 1 would let a limit of 1 exceed).
    int high = Math.max(1, outboundBufferLimit - 1);
    ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(Math.max(1, high / 2), high));
    // Netty would close a channel at the peer's end-of-stream and drop what it still had to
    // send; the stream's Tail handles end-of-stream itself (flushing first), in both modes
    ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    if (ch instanceof SocketChannel) {
      ch.config().setOption(ChannelOption.TCP_NODELAY, true);
      ch.config().setOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
    }
    pipeline.accept(ch.pipeline());
    if (serverPipeline != null) {
      serverPipeline.accept(ch.pipeline());
    }
  }

  private <C extends Channel> C newChannel(Class<C> type) {
    // one factory per channel class: building one looks the constructor up reflectively
    @SuppressWarnings("unchecked")
    ReflectiveChannelFactory<C> factory = (ReflectiveChannelFactory<C>)
        channelFactories.computeIfAbsent(type, ReflectiveChannelFactory::new);
    return factory.newChannel();
  }

  private ServerBootstrap serverBootstrap(Class<? extends ServerChannel> type, ServerOptions options) {
    return new ServerBootstrap()
        .group(group)
        .channelFactory(new ReflectiveChannelFactory<>(type))
        .option(ChannelOption.SO_BACKLOG, options.backlog());
  }

  private void bind(RealServer<?> server, ServerBootstrap b, SocketAddress address, String where)
      throws IpcException {
    Waiter.checkMayBlock("making a server");
    ChannelFuture bound = b.bind(address);
    server.channel = bound.channel();
    if (!bound.awaitUninterruptibly(BIND_WAIT_SECONDS, TimeUnit.SECONDS)) {
      bound.channel().close();
      throw new IpcException("cannot listen on " + where + ": the event loop did not bind within "
          + BIND_WAIT_SECONDS + " s", null);
    }
    if (!bound.isSuccess()) {
      bound.channel().close();
      Throwable cause = bound.cause();
      // some causes have no message (NIO binding ::1 where IPv6 is off: UnsupportedAddressTypeException)
      throw new IpcException("cannot listen on " + where + ": "
          + (cause.getMessage() != null ? cause.getMessage() : cause.toString()), null, cause);
    }
    adopt(server);
  }

  /** Registers a stream's channel and starts connecting; the outcome arrives as stream state. */
  private ChannelFuture connect(RealStream stream, SocketAddress remote, SocketAddress local) {
    Channel ch = stream.channel;
    adopt(stream);
    // register() sets the channel's event loop before it returns, so the connect queues behind it
    group.register(ch);
    ChannelFuture connecting = ch.connect(remote, local);
    connecting.addListener((ChannelFuture f) -> {
      if (!f.isSuccess()) {
        stream.connectFailed(f.cause());
        f.channel().close();
      }
    });
    return connecting;
  }
}
