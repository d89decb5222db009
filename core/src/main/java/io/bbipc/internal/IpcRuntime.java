package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.IpcStats;
import io.bbipc.ServerStats;
import io.bbipc.StreamStats;
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
import io.netty.channel.AdaptiveRecvByteBufAllocator;
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
  /** Reads guess at least 512 bytes, start at 2 KiB and grow to at most 64 KiB (see configureStream). */
  private static final AdaptiveRecvByteBufAllocator READ_GUESS = new AdaptiveRecvByteBufAllocator(512, 2048, 65536);
  /** How often a caller-driven runtime checks whether its owner has ended without closing it. */
  private static final long ORPHAN_CHECK_MILLIS = 1000;

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
  /** The loop of a caller-driven runtime, run by its owner; null for a runtime with threads. */
  private final CallerDrivenLoop loop;
  /** The close futures of a closing caller-driven runtime's streams, which its owner waits for. */
  private volatile List<ChannelFuture> closing = List.of();
  /** Set while a caller-driven owner closes the whole runtime: sockets then do not settle one by one. */
  private boolean closingAll;
  /** Set while a caller-driven owner settles the runtime's close, whose own waits end here again. */
  private boolean settling;
  /** What closed sockets moved, kept for {@link #stats()}; written under this runtime's monitor. */
  private StreamStats closedStreams = StreamStats.ZERO;
  private ServerStats closedServers = ServerStats.ZERO;
  /** Checks whether a caller-driven runtime's owner has ended without closing it. */
  private volatile io.netty.util.concurrent.ScheduledFuture<?> orphanWatch;

  private IpcRuntime(TransportProvider transport, EventLoopGroup group, boolean ownsGroup,
                     int inboundBufferLimit, int outboundBufferLimit,
                     Consumer<ChannelPipeline> pipeline, int connectTimeoutMillis) {
    this.transport = transport;
    this.group = group;
    this.loop = group instanceof CallerDrivenLoop ? (CallerDrivenLoop) group : null;
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

  /**
   * A runtime with no thread: the calling thread owns it and runs its I/O inside its own calls.
   *
   * @param busyPollNanos how long a waiting owner polls without blocking before it blocks
   */
  public static IpcRuntime createCallerDriven(TransportProvider transport, long busyPollNanos,
                                              int inboundBufferLimit, int outboundBufferLimit,
                                              Consumer<ChannelPipeline> pipeline, int connectTimeoutMillis) {
    CallerDrivenLoop loop = new CallerDrivenLoop(transport.callerDrivenIoHandlerFactory(),
        transport.submitsOnlyWhenRun(), busyPollNanos);
    IpcRuntime runtime = new IpcRuntime(transport, loop, true, inboundBufferLimit, outboundBufferLimit,
        pipeline, connectTimeoutMillis);
    loop.afterWait(runtime::settleIfClosed);
    runtime.orphanWatch = io.netty.util.concurrent.GlobalEventExecutor.INSTANCE.scheduleAtFixedRate(
        runtime::closeIfOrphaned, ORPHAN_CHECK_MILLIS, ORPHAN_CHECK_MILLIS, TimeUnit.MILLISECONDS);
    return runtime;
  }

  public boolean isCallerDriven() {
    return loop != null;
  }

  /** The owner of a caller-driven runtime, or null. */
  public Thread owner() {
    return loop == null ? null : loop.owner();
  }

  /** The caller-driven loop, or null. */
  CallerDrivenLoop loop() {
    return loop;
  }

  /**
   * Where every call that uses this runtime's sockets or pollers begins: a caller-driven
   * runtime checks that its owner calls, and runs what other threads queued for it (a close).
   *
   * @param what the object called, named in the owner error
   */
  void enter(Object what) {
    CallerDrivenLoop l = loop;
    if (l == null) {
      return;
    }
    l.checkOwner(what);
    if (l.isRunning()) {
      return;
    }
    if (closed.get()) {
      if (!l.isTerminated()) {
        settleAndStop();
      }
    } else {
      l.enter();
    }
  }

  /**
   * Owner of a caller-driven runtime, outside a run: takes in what the kernel holds now.
   *
   * @return how much work was done; 0 for none, or for a runtime with threads
   */
  int runNow() {
    CallerDrivenLoop l = loop;
    return l != null && l.mayRun() ? l.runNowWithOthers() : 0;
  }

  /** Owner, after a write: hands queued writes to the kernel where the transport waits for a run. */
  void submitWrites() {
    CallerDrivenLoop l = loop;
    if (l != null) {
      l.submitWrites();
    }
  }

  /**
   * Waits for a future of this runtime's channels, not letting an interrupt cut the wait short;
   * a caller-driven owner runs the loop meanwhile, since nothing else would.
   *
   * @return whether it completed in time
   */
  private boolean awaitDone(io.netty.util.concurrent.Future<?> f, long millis) {
    if (loop == null || !loop.inEventLoop()) {
      return f.awaitUninterruptibly(millis, TimeUnit.MILLISECONDS);
    }
    boolean interrupted = Thread.interrupted();
    try {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
      while (!f.isDone()) {
        if (System.nanoTime() - deadline >= 0) {
          return false;
        }
        loop.await(deadline, f::isDone);
      }
      return true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Called after a socket's {@code closeOnce}: a caller-driven owner closes its descriptor
   * before {@code close()} returns, letting a stream deliver what was written for a bounded
   * time first; other threads leave that to the owner's next call.
   */
  void settleClose(AbstractSocket socket) {
    CallerDrivenLoop l = loop;
    if (l == null || closingAll || !l.mayRun()) {
      return;
    }
    ChannelFuture done = socket.channelCloseFuture();
    if (done == null) {
      return;
    }
    if (!awaitDone(done, CLOSE_FLUSH_MILLIS)) {
      done.channel().close();
      awaitDone(done, CLOSE_FLUSH_MILLIS);
    }
    // NIO closes a registered socket at the selector's next select
    l.runNow();
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
    enter(this);
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
    enter(this);
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
    enter(this);
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
    enter(this);
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
    enter(this);
    checkOpen();
    if (!Files.exists(pathname)) {
      throw new NoLocalServerException(pathname, null);
    }
    return connectLocal(pathname, transport.localAddress(pathname));
  }

  public LocalStream connectToAbstractLocalServer(String name) throws IpcException {
    Path shown = AbstractNames.check(name);
    checkAbstractNamespace();
    enter(this);
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
      awaitDone(ch.eventLoop().submit(() -> null), TimeUnit.SECONDS.toMillis(BIND_WAIT_SECONDS));
      // io_uring answers a connect through its completion queue, a moment later
      awaitDone(connecting, LOCAL_CONNECT_WAIT_MILLIS);
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
    if (loop != null && ch.eventLoop() != loop) {
      throw new IllegalArgumentException("channel " + ch + " runs on another event loop than this"
          + " caller-driven runtime's; register it with the runtime's eventLoopGroup() first");
    }
    enter(this);
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
    track(stream);
    return stream;
  }

  // ---------------------------------------------------------------- pollers and lifecycle

  public Poller makePoller() throws IpcException {
    enter(this);
    checkOpen();
    RealPoller poller = new RealPoller(this);
    pollers.add(poller);
    return poller;
  }

  void forgetPoller(RealPoller poller) {
    pollers.remove(poller);
  }

  /** Called when a socket is handed to the user, so that {@link #close()} closes it. */
  void track(AbstractSocket socket) {
    sockets.add(socket);
    if (closed.get()) {
      socket.close();
    }
  }

  void forget(AbstractSocket socket) {
    if (sockets.remove(socket)) {
      synchronized (this) {
        // what a closed socket moved stays in the runtime's sums; what it held does not
        if (socket instanceof RealStream) {
          StreamStats s = ((RealStream) socket).stats();
          closedStreams = closedStreams.plus(new StreamStats(s.bytesRead(), s.bytesReceived(),
              s.bytesWritten(), s.bytesWritten(), 0, 0, s.readPauses(), s.readPaused(), s.shortWrites()));
        } else if (socket instanceof RealServer) {
          ServerStats s = ((RealServer<?>) socket).stats();
          closedServers = closedServers.plus(new ServerStats(s.accepted(), 0, s.refused()));
        }
      }
    }
  }

  /** Sums over every socket handed out: the open ones now, and what closed ones moved. */
  public IpcStats stats() {
    StreamStats streams;
    ServerStats servers;
    synchronized (this) {
      streams = closedStreams;
      servers = closedServers;
    }
    int openStreams = 0;
    int openServers = 0;
    for (AbstractSocket socket : sockets) {
      if (socket instanceof RealStream) {
        streams = streams.plus(((RealStream) socket).stats());
        openStreams++;
      } else if (socket instanceof RealServer) {
        servers = servers.plus(((RealServer<?>) socket).stats());
        openServers++;
      }
    }
    return new IpcStats(openStreams, openServers, streams, servers);
  }

  public boolean isClosed() {
    return closed.get();
  }

  /** Closes every socket and poller, then the event loop group if this runtime made it. */
  public void close() {
    if (loop != null) {
      closeCallerDriven();
      return;
    }
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<ChannelFuture> closing = new ArrayList<>();
    for (AbstractSocket socket : sockets) {
      if (socket instanceof RealStream) {
        closing.add(socket.channelCloseFuture());
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

  /**
   * Any thread marks everything closed at once; the owner, outside a run, then lets the streams
   * deliver what was written (bounded) and stops the loop, releasing every descriptor. Another
   * thread, or the owner inside a run, leaves that to the owner's next call.
   */
  private void closeCallerDriven() {
    if (closed.compareAndSet(false, true)) {
      List<ChannelFuture> futures = new ArrayList<>();
      boolean owner = loop.mayRun();
      closingAll = owner;
      try {
        for (AbstractSocket socket : sockets) {
          ChannelFuture f = socket.channelCloseFuture();
          if (f != null) {
            futures.add(f);
          }
          socket.close();
        }
        for (RealPoller poller : pollers) {
          poller.close();
        }
      } finally {
        closingAll = false;
      }
      closing = futures;
      if (!owner) {
        loop.wakeup();
        return;
      }
    }
    if (loop.mayRun() && !loop.isTerminated()) {
      settleAndStop();
    }
  }

  /** Owner, after a wait: finishes a close that another thread started while the owner waited. */
  private void settleIfClosed() {
    if (closed.get() && !settling && loop.mayRun() && !loop.isTerminated()) {
      settleAndStop();
    }
  }

  /** Owner: waits (bounded) for the closing streams to deliver and close, then stops the loop. */
  private void settleAndStop() {
    settling = true;
    try {
      settleAndStopNow();
    } finally {
      settling = false;
    }
  }

  private void settleAndStopNow() {
    io.netty.util.concurrent.ScheduledFuture<?> watch = orphanWatch;
    if (watch != null) {
      watch.cancel(false);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_FLUSH_MILLIS);
    for (ChannelFuture f : closing) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      awaitDone(f, TimeUnit.NANOSECONDS.toMillis(left));
    }
    loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    loop.runNow();
  }

  /**
   * Runs once a second for a caller-driven runtime: once its owner has ended without closing
   * it, a short-lived thread takes the loop over and closes it, so no descriptor is left behind.
   */
  private void closeIfOrphaned() {
    if (loop.isTerminated()) {
      orphanWatch.cancel(false);
      return;
    }
    if (loop.owner().isAlive()) {
      return;
    }
    orphanWatch.cancel(false);
    if (!transport.loopRunsOnAnyThread()) {
      // no other thread can run this loop (io_uring): its descriptors stay until the JVM exits
      return;
    }
    Thread closer = new Thread(() -> {
      if (loop.takeOverFromDeadOwner()) {
        if (closed.get()) {
          settleAndStop();
        } else {
          close();
        }
      }
    }, "bbipc-orphan-closer");
    closer.setDaemon(true);
    closer.start();
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
    // Netty's default read guess shrinks to 64 bytes after small reads; a 64-byte message then
    // fills it, and an edge-triggered epoll channel reads once more for nothing (EAGAIN): a
    // quarter of a system call per round trip of a 64-byte ping-pong. The guess starts at 2 KiB
    // and may grow to 64 KiB as before, so what one read can take is unchanged.
    ch.config().setRecvByteBufAllocator(READ_GUESS);
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
    server.listenOn(bound.channel());
    if (!awaitDone(bound, TimeUnit.SECONDS.toMillis(BIND_WAIT_SECONDS))) {
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
    track(server);
  }

  /** Registers a stream's channel and starts connecting; the outcome arrives as stream state. */
  private ChannelFuture connect(RealStream stream, SocketAddress remote, SocketAddress local) {
    Channel ch = stream.channel;
    track(stream);
    // register() sets the channel's event loop before it returns, so the connect queues behind it
    group.register(ch);
    ChannelFuture connecting = ch.connect(remote, local);
    connecting.addListener((ChannelFuture f) -> {
      if (!f.isSuccess()) {
        stream.connectFailed(f.cause());
        f.channel().close();
      }
    });
    // a caller-driven io_uring runtime would otherwise start the connect only at the next call
    submitWrites();
    return connecting;
  }
}
