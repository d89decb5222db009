package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv4TcpStream;
import io.bbipc.Ipv6TcpServer;
import io.bbipc.Ipv6TcpStream;
import io.bbipc.LocalServer;
import io.bbipc.LocalStream;
import io.bbipc.NoLocalServerException;
import io.bbipc.ServerOptions;
import io.bbipc.internal.address.AbstractNames;
import io.bbipc.internal.address.Addresses;
import io.bbipc.internal.address.SocketFiles;
import io.bbipc.spi.TransportProvider;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The public factories of a runtime (servers made, streams connected) and the Netty plumbing they
 * share: channels made and configured, servers bound, connects started. What they make is handed to
 * the runtime, which tracks it for {@link IpcRuntime#close()}.
 */
public final class SocketMaker {
  /** How long making a server may wait for its event loop to bind. */
  private static final long BIND_WAIT_SECONDS = 30;

  /**
   * How long connecting to a local server waits for the kernel's answer before returning it
   * pending.
   */
  private static final long LOCAL_CONNECT_WAIT_MILLIS = 1000;

  /**
   * Reads guess at least 512 bytes, start at 2 KiB and grow to at most 64 KiB (see
   * configureStream).
   */
  private static final AdaptiveRecvByteBufAllocator READ_GUESS =
      new AdaptiveRecvByteBufAllocator(512, 2048, 65536);

  private final IpcRuntime runtime;
  private final TransportProvider transport;

  /**
   * Makes the factories of a runtime.
   *
   * @param runtime where the sockets run, and what tracks them
   */
  public SocketMaker(IpcRuntime runtime) {
    this.runtime = runtime;
    this.transport = runtime.transport();
  }

  /**
   * Where every factory starts: a caller-driven runtime's owner check, then a closed runtime
   * refuses.
   */
  private void enterOpen() throws IpcException {
    runtime.enter(runtime);
    runtime.checkOpen();
  }

  public Ipv4TcpServer makeIpv4TcpServer(String hostAddress, int port, ServerOptions options)
      throws IpcException {
    return makeTcpServer(TcpFamily.IPV4, hostAddress, port, options, RealIpv4TcpServer::new);
  }

  /** A server on an IPv6 address; its {@code hostAddress()} is the address's RFC 5952 text. */
  public Ipv6TcpServer makeIpv6TcpServer(String hostAddress, int port, ServerOptions options)
      throws IpcException {
    return makeTcpServer(TcpFamily.IPV6, hostAddress, port, options, RealIpv6TcpServer::new);
  }

  public Ipv4TcpStream connectToIpv4TcpServer(
      String hostAddress, int port, String localHostAddress, int localPort) throws IpcException {
    return connectTcp(TcpFamily.IPV4, hostAddress, port, localHostAddress, localPort);
  }

  /** A stream to an IPv6 address, addressed in RFC 5952 form until it connects. */
  public Ipv6TcpStream connectToIpv6TcpServer(
      String hostAddress, int port, String localHostAddress, int localPort) throws IpcException {
    return connectTcp(TcpFamily.IPV6, hostAddress, port, localHostAddress, localPort);
  }

  /** Makes a TCP server of a family, given the address's text. */
  private interface TcpServerClass<V> {
    V make(IpcRuntime runtime, String hostAddress, ServerOptions options);
  }

  /**
   * Parses the address of the family and checks the rest of the arguments, then binds the server
   * {@code make} makes; its {@code hostAddress()} is the address's text.
   */
  private <V extends RealTcpServer<?>> V makeTcpServer(
      TcpFamily<?> family,
      String hostAddress,
      int port,
      ServerOptions options,
      TcpServerClass<V> make)
      throws IpcException {
    InetAddress host = family.parse(hostAddress, "hostAddress");
    String text = family.text(hostAddress, host);
    Addresses.checkPort(port, "port");
    Objects.requireNonNull(options, "options");
    if (options.allowedPeerUids() != null) {
      throw new IllegalArgumentException(
          "allowedPeerUids "
              + options.allowedPeerUids()
              + " applies to local servers only: TCP peers have no user id");
    }
    enterOpen();
    V server = make.make(runtime, text, options);
    ServerBootstrap b =
        serverBootstrap(transport.tcpServerChannelType(), server, options)
            .option(ChannelOption.SO_REUSEADDR, options.reuseAddress());
    bind(server, b, new InetSocketAddress(host, port), server.where(port));
    server.bound();
    return server;
  }

  /**
   * Parses the addresses of the family and checks the ports, then starts connecting a stream of the
   * family, addressed as the user asked until it connects; the family's wildcard is the local
   * address when only a local port is given.
   */
  private <S extends RealTcpStream> S connectTcp(
      TcpFamily<S> family, String hostAddress, int port, String localHostAddress, int localPort)
      throws IpcException {
    InetAddress remote = family.parse(hostAddress, "hostAddress");
    InetAddress local =
        localHostAddress == null ? null : family.parse(localHostAddress, "localHostAddress");
    Addresses.checkPort(port, "port");
    Addresses.checkPort(localPort, "localPort");
    enterOpen();
    S stream =
        family.connecting(
            runtime,
            newStreamChannel(transport.tcpChannelType()),
            family.text(hostAddress, remote),
            port,
            local == null ? null : family.text(localHostAddress, local),
            localPort);
    SocketAddress localAddress =
        local == null && localPort == 0
            ? null
            : new InetSocketAddress(local == null ? family.any() : local, localPort);
    connect(stream, new InetSocketAddress(remote, port), localAddress);
    return stream;
  }

  // ---------------------------------------------------------------- local

  public LocalServer makeLocalServer(Path pathname, ServerOptions options) throws IpcException {
    Objects.requireNonNull(pathname, "pathname");
    Objects.requireNonNull(options, "options");
    SocketFiles.checkLength(pathname);
    Path temporary = SocketFiles.temporarySibling(pathname);
    enterOpen();
    checkPeerUidsPossible(pathname.toString(), options);
    runtime.checkHalfClosurePossible("make a local server at " + pathname, options.halfClosure());
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
  public LocalServer makeAbstractLocalServer(String name, ServerOptions options)
      throws IpcException {
    Path shown = AbstractNames.check(name);
    Objects.requireNonNull(options, "options");
    checkAbstractNamespace();
    enterOpen();
    checkPeerUidsPossible(shown.toString(), options);
    runtime.checkHalfClosurePossible("make a local server at " + shown, options.halfClosure());
    return bindLocal(shown, transport.abstractAddress(name), options);
  }

  private void checkPeerUidsPossible(String where, ServerOptions options) throws IpcException {
    if (options.allowedPeerUids() != null && !transport.hasPeerCredentials()) {
      throw new IpcException(
          "cannot make a local server at "
              + where
              + " that admits only uids "
              + options.allowedPeerUids()
              + ": transport "
              + transport.name()
              + " cannot tell who connects; use a native transport (epoll, io_uring, kqueue)",
          null);
    }
  }

  private void checkAbstractNamespace() {
    if (!transport.hasAbstractNamespace()) {
      throw new UnsupportedOperationException(
          "transport "
              + transport.name()
              + " has no abstract socket names; they need Linux and the epoll or io_uring transport");
    }
  }

  private RealLocalServer bindLocal(Path shown, SocketAddress address, ServerOptions options)
      throws IpcException {
    RealLocalServer server = new RealLocalServer(runtime, shown, options);
    ServerBootstrap b = serverBootstrap(transport.localServerChannelType(), server, options);
    bind(server, b, address, shown.toString());
    return server;
  }

  public LocalStream connectToLocalServer(Path pathname) throws IpcException {
    Objects.requireNonNull(pathname, "pathname");
    SocketFiles.checkLength(pathname);
    enterOpen();
    if (!Files.exists(pathname)) {
      throw new NoLocalServerException(pathname, null);
    }
    return connectLocal(pathname, pathname, transport.localAddress(pathname));
  }

  public LocalStream connectToAbstractLocalServer(String name) throws IpcException {
    Path shown = AbstractNames.check(name);
    checkAbstractNamespace();
    enterOpen();
    return connectLocal(shown, null, transport.abstractAddress(name));
  }

  /**
   * Starts a local connect and waits for the kernel's first answer.
   *
   * @param file the socket file, or null for an abstract name
   */
  private LocalStream connectLocal(Path shown, Path file, SocketAddress address)
      throws IpcException {
    runtime.checkHalfClosurePossible("connect to " + shown, runtime.halfClosure());
    Channel ch = newStreamChannel(transport.localChannelType());
    RealLocalStream stream = RealLocalStream.connecting(runtime, ch, shown);
    ChannelFuture connecting = connect(stream, address, null);
    if (!Waiter.onEventLoop()) {
      // A local connect ends at once unless the backlog is full; wait for the attempt so a
      // missing server is an exception here, as the original signals it.
      runtime.awaitDone(
          ch.eventLoop().submit(() -> null), TimeUnit.SECONDS.toMillis(BIND_WAIT_SECONDS));
      // a transport may answer a connect a moment later, on a later turn of its loop
      runtime.awaitDone(connecting, LOCAL_CONNECT_WAIT_MILLIS);
      if (connecting.isDone() && !connecting.isSuccess()) {
        stream.close();
        Throwable cause = connecting.cause();
        String message = String.valueOf(cause == null ? null : cause.getMessage());
        switch (transport.localConnectFailure(cause, file)) {
          case PERMISSION_DENIED:
            throw new IpcException("cannot connect to " + shown + ": " + message, null, cause);
          case BACKLOG_FULL:
            throw new IpcException(
                "cannot connect to " + shown + ": the server's backlog is full (" + message + ")",
                null,
                cause);
          default:
            throw new NoLocalServerException(shown, cause);
        }
      }
    }
    return stream;
  }

  // ---------------------------------------------------------------- channels

  /**
   * Options and user handlers every stream channel gets, connecting or accepted; the buffering
   * handler goes after these.
   */
  private void configureStream(Channel ch, Consumer<ChannelPipeline> serverPipeline) {
    // Netty turns a channel unwritable once more than the high mark is pending, and writeToStream
    // takes up to that point, so a high mark one below the limit caps what waits at the limit.
    // Netty turns it writable again only below the low mark, so that must be at least 1, or a
    // channel of a limit of 1 or 2 would never become writable again (writeToStream also caps
    // what it takes at the limit, which the high mark of 1 would let a limit of 1 exceed).
    int high = Math.max(1, runtime.outboundBufferLimit() - 1);
    ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(Math.max(1, high / 2), high));
    // Netty would close a channel at the peer's end-of-stream and drop what it still had to
    // send; the stream's StreamTail handles end-of-stream itself (flushing first), in both modes
    ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    // Netty's default read guess shrinks to 64 bytes after small reads; a 64-byte message then
    // fills it, and an edge-triggered epoll channel reads once more for nothing (EAGAIN): a
    // quarter of a system call per round trip of a 64-byte ping-pong. The guess starts at 2 KiB
    // and may grow to 64 KiB as before, so what one read can take is unchanged.
    ch.config().setRecvByteBufAllocator(READ_GUESS);
    if (ch instanceof SocketChannel) {
      ch.config().setOption(ChannelOption.TCP_NODELAY, true);
      ch.config().setOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, runtime.connectTimeoutMillis());
    }
    runtime.pipeline().accept(ch.pipeline());
    if (serverPipeline != null) {
      serverPipeline.accept(ch.pipeline());
    }
  }

  /** A new channel for a connecting stream, configured. */
  private Channel newStreamChannel(Class<? extends Channel> type) {
    Channel ch = ChannelFactories.of(type).newChannel();
    configureStream(ch, null);
    return ch;
  }

  /** A bootstrap whose accepted channels, configured, become {@code server}'s streams. */
  private ServerBootstrap serverBootstrap(
      Class<? extends ServerChannel> type, RealServer<?> server, ServerOptions options) {
    return new ServerBootstrap()
        .group(runtime.eventLoopGroup())
        .channelFactory(ChannelFactories.of(type))
        .option(ChannelOption.SO_BACKLOG, options.backlog())
        .childHandler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                configureStream(ch, options.pipeline());
                server.accepted(ch);
              }
            });
  }

  private void bind(RealServer<?> server, ServerBootstrap b, SocketAddress address, String where)
      throws IpcException {
    Waiter.checkMayBlock("making a server");
    ChannelFuture bound = b.bind(address);
    server.listenOn(bound.channel());
    if (!runtime.awaitDone(bound, TimeUnit.SECONDS.toMillis(BIND_WAIT_SECONDS))) {
      bound.channel().close();
      throw new IpcException(
          "cannot listen on "
              + where
              + ": the event loop did not bind within "
              + BIND_WAIT_SECONDS
              + " s",
          null);
    }
    if (!bound.isSuccess()) {
      bound.channel().close();
      Throwable cause = bound.cause();
      // some causes have no message (NIO binding ::1 where IPv6 is off:
      // UnsupportedAddressTypeException)
      throw new IpcException(
          "cannot listen on "
              + where
              + ": "
              + (cause.getMessage() != null ? cause.getMessage() : cause.toString()),
          null,
          cause);
    }
    runtime.track(server);
  }

  /** Registers a stream's channel and starts connecting; the outcome arrives as stream state. */
  private ChannelFuture connect(RealStream stream, SocketAddress remote, SocketAddress local) {
    Channel ch = stream.channel;
    runtime.track(stream);
    // register() sets the channel's event loop before it returns, so the connect queues behind it
    runtime.eventLoopGroup().register(ch);
    ChannelFuture connecting = ch.connect(remote, local);
    connecting.addListener(
        (ChannelFuture f) -> {
          if (!f.isSuccess()) {
            stream.connectFailed(f.cause());
            f.channel().close();
          }
        });
    // a caller-driven io_uring runtime would otherwise start the connect only at the next call
    runtime.submitWrites();
    return connecting;
  }
}
