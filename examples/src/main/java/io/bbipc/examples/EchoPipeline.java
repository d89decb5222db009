package io.bbipc.examples;

import static io.bbipc.BasicBinaryIpc.IPV4_LOOPBACK;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpStream;
import io.bbipc.SocketEvent;
import io.bbipc.Timeout;
import io.bbipc.TransportInfo;
import io.bbipc.spi.TransportProvider;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.zip.CRC32;

/**
 * An echo server made of plain Netty handlers, and two bbipc clients of it, all on one event loop
 * group: a synchronous client that writes, polls and reads, and an asynchronous one driven only by
 * {@code whenReady} futures.
 *
 * <p>The example makes the group itself, with the I/O handler of the best transport available,
 * starts a Netty {@link ServerBootstrap} on it, and lends the same group to bbipc with {@code
 * Ipc.builder().eventLoopGroup(group)}. The server's channels and the clients' streams then share
 * its event loop threads, and closing the bbipc runtime leaves the group, and the Netty server on
 * it, to their owner.
 */
public final class EchoPipeline implements AutoCloseable {
  /** How long the clients wait for any progress, and the example for the group to stop. */
  private static final Timeout TEN_SECONDS = Timeout.seconds(10);

  private static final long STOP_SECONDS = 10;

  /** Bounds a whole asynchronous exchange, which has no thread of its own to time it out. */
  private static final long ASYNC_EXCHANGE_SECONDS = 30;

  /** The size of the demo's big messages: far more than one read returns. */
  static final int BIG_MESSAGE = 300 * 1024;

  private static final Set<SocketEvent> CONNECT_ENDED =
      EnumSet.of(SocketEvent.CONNECTION_SUCCEEDED, SocketEvent.CONNECTION_FAILED);
  /*
   * REMOTE_DISCONNECTED is in both sets because a server that goes would otherwise leave a client
   * waiting for READY_TO_WRITE or DATA_AVAILABLE, neither of which can come any more.
   */
  private static final Set<SocketEvent> SENDING =
      EnumSet.of(
          SocketEvent.READY_TO_WRITE, SocketEvent.DATA_AVAILABLE, SocketEvent.REMOTE_DISCONNECTED);
  private static final Set<SocketEvent> RECEIVING =
      EnumSet.of(SocketEvent.DATA_AVAILABLE, SocketEvent.REMOTE_DISCONNECTED);
  private static final Set<SocketEvent> DISCONNECTED_ONLY =
      EnumSet.of(SocketEvent.REMOTE_DISCONNECTED);

  private final TransportProvider transport;
  private final EventLoopGroup group;
  private final ChannelGroup channels;
  private final Channel serverChannel;
  private final int port;
  private final Ipc ipc;

  private EchoPipeline(
      TransportProvider transport,
      EventLoopGroup group,
      ChannelGroup channels,
      Channel serverChannel,
      Ipc ipc) {
    this.transport = transport;
    this.group = group;
    this.channels = channels;
    this.serverChannel = serverChannel;
    this.port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    this.ipc = ipc;
  }

  /**
   * The whole echo server: what is read is written back.
   *
   * <p>It stops reading while the channel cannot take more writes, which is when the client reads
   * its echo more slowly than it sends; else a client that never reads would make the server queue
   * everything it sends.
   */
  @ChannelHandler.Sharable
  static final class EchoHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      // The write takes over the buffer and releases it once sent.
      ctx.write(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
      if (!ctx.channel().isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        ctx.channel().config().setAutoRead(true);
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A client that resets is dropped; the other connections are not concerned.
      ctx.close();
    }
  }

  /**
   * Returns the transports that can run on this machine, best first, as bbipc ranks them.
   *
   * @return the available providers found, NIO among them
   */
  public static List<TransportProvider> availableTransports() {
    List<TransportProvider> available = new ArrayList<>();
    for (TransportInfo t : Ipc.transports()) {
      if (t.isAvailable()) {
        available.add(t.provider());
      }
    }
    return available;
  }

  /**
   * Returns the available transport of the given name.
   *
   * @param name a transport name such as {@code "epoll"} or {@code "nio"}
   * @return the provider
   * @throws IllegalArgumentException if no available transport has that name
   */
  public static TransportProvider transport(String name) {
    List<TransportProvider> available = availableTransports();
    return available.stream()
        .filter(p -> p.name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "no available transport is called \""
                        + name
                        + "\"; available: "
                        + available.stream()
                            .map(TransportProvider::name)
                            .collect(Collectors.joining(", "))));
  }

  /**
   * Returns the transport that {@link Ipc#create()} would pick: the one the {@code bbipc.transport}
   * system property names, or else the best available.
   *
   * @return the provider
   * @throws IllegalArgumentException if the property names no available transport
   */
  public static TransportProvider defaultTransport() {
    String named = System.getProperty("bbipc.transport");
    return named == null || named.isBlank()
        ? availableTransports().get(0)
        : transport(named.trim());
  }

  /**
   * Makes an event loop group on {@code transport}, starts the Netty echo server on {@code
   * 127.0.0.1} and a free port, and makes a bbipc runtime that borrows the group.
   *
   * @param transport an available transport
   * @return the running example, to be closed by the caller
   * @throws IOException if the server cannot be bound within 10 s
   */
  public static EchoPipeline start(TransportProvider transport) throws IOException {
    // Daemon threads, so that a failure in the example cannot keep the JVM alive.
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            2, new DefaultThreadFactory("echo-pipeline", true), transport.ioHandlerFactory());
    // Every channel on the group, the server's and bbipc's, so that close() can wait for them.
    ChannelGroup channels = new DefaultChannelGroup("echo-pipeline", GlobalEventExecutor.INSTANCE);
    try {
      EchoHandler echo = new EchoHandler();
      ChannelFuture bound =
          new ServerBootstrap()
              .group(group)
              .channel(transport.tcpServerChannelType())
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      channels.add(ch);
                      ch.pipeline().addLast("echo", echo);
                    }
                  })
              .bind(IPV4_LOOPBACK, 0);
      if (!bound.awaitUninterruptibly(STOP_SECONDS, TimeUnit.SECONDS) || !bound.isSuccess()) {
        throw new IOException(
            "could not start the Netty echo server on "
                + IPV4_LOOPBACK
                + " within "
                + STOP_SECONDS
                + " s",
            bound.cause());
      }
      channels.add(bound.channel());
      // The same group: bbipc infers the transport from its I/O handler. The pipeline hook sees
      // every channel bbipc makes, which is how the application learns of them.
      Ipc ipc =
          Ipc.builder()
              .eventLoopGroup(group)
              .pipeline(pipeline -> channels.add(pipeline.channel()))
              .build();
      return new EchoPipeline(transport, group, channels, bound.channel(), ipc);
    } catch (IOException | RuntimeException e) {
      shutDown(group, channels);
      throw e;
    }
  }

  /**
   * Closes what is still open of {@code channels}, waits for every one of them to be closed, then
   * shuts {@code group} down, each wait at most 10 s.
   *
   * <p>A channel whose close is still under way when its event loop stops leaves Netty to finish
   * the close on a loop that is gone, which some transports (io_uring) log as a rejected task; and
   * bbipc closes its streams on their event loop after {@code close()} has returned.
   */
  static void shutDown(EventLoopGroup group, ChannelGroup channels) {
    channels.close().awaitUninterruptibly(STOP_SECONDS, TimeUnit.SECONDS);
    group
        .shutdownGracefully(0, 2, TimeUnit.SECONDS)
        .awaitUninterruptibly(STOP_SECONDS, TimeUnit.SECONDS);
  }

  /**
   * Returns the port the Netty echo server listens on, on {@code 127.0.0.1}.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * Returns the transport of the group.
   *
   * @return the provider the group was made with
   */
  public TransportProvider transport() {
    return transport;
  }

  /**
   * Returns the event loop group that the Netty server and the bbipc runtime share.
   *
   * @return the group, owned by this example
   */
  public EventLoopGroup group() {
    return group;
  }

  /**
   * Returns the Netty server's listening channel.
   *
   * @return the channel
   */
  public Channel serverChannel() {
    return serverChannel;
  }

  /**
   * Returns the bbipc runtime on the shared group, which makes the clients' streams.
   *
   * @return the runtime; closing it leaves the group and the Netty server running
   */
  public Ipc ipc() {
    return ipc;
  }

  /**
   * Sends {@code message} to the echo server over a new stream and waits for all of it to come
   * back, with nothing but {@code writeToStream}, {@code poll} and {@code readFromStream}.
   *
   * <p>It reads the echo while it is still writing: the server echoes as bytes arrive, and a client
   * that read nothing until it had written everything would wait forever once the message outgrew
   * the buffers between the two ends.
   *
   * @param message the bytes to send
   * @return the bytes that came back, as many as were sent
   * @throws IpcException if the connection fails, the server goes before the whole echo is back, or
   *     10 s pass without progress
   */
  public byte[] sendSynchronously(byte[] message) throws IpcException {
    try (Ipv4TcpStream stream = ipc.connectToIpv4TcpServer(IPV4_LOOPBACK, port)) {
      if (!stream.poll(CONNECT_ENDED, TEN_SECONDS).contains(SocketEvent.CONNECTION_SUCCEEDED)) {
        throw new IpcException("could not connect to " + IPV4_LOOPBACK + ":" + port, stream);
      }
      byte[] echo = new byte[message.length];
      int sent = 0;
      int received = 0;
      while (received < message.length) {
        // Only while there is something left: writing to a departed server throws even 0 bytes.
        if (sent < message.length) {
          sent += stream.writeToStream(message, sent, message.length);
        }
        received += stream.readFromStream(echo, received, echo.length);
        if (received < message.length) {
          Set<SocketEvent> events =
              stream.poll(sent < message.length ? SENDING : RECEIVING, TEN_SECONDS);
          if (events.isEmpty()) {
            throw new IpcException(
                "no progress within 10 s"
                    + (Thread.currentThread().isInterrupted() ? " (interrupted)" : "")
                    + ": "
                    + progress(sent, received, message.length),
                stream);
          }
          if (events.equals(DISCONNECTED_ONLY)) {
            throw new IpcException(
                "the server went: " + progress(sent, received, message.length), stream);
          }
        }
      }
      return echo;
    }
  }

  private static String progress(int sent, int received, int length) {
    return sent + " of " + length + " bytes sent, " + received + " received";
  }

  /**
   * Sends {@code message} to the echo server over a new stream without blocking any thread: each
   * step runs when the stream's {@code whenReady} future completes, on the group's event loop.
   *
   * @param message the bytes to send
   * @return a future of the bytes that came back, failed with {@link IpcException} if the
   *     connection fails or the server goes first, or with a {@link TimeoutException} after 30 s
   */
  public CompletableFuture<byte[]> sendAsynchronously(byte[] message) {
    Ipv4TcpStream stream;
    try {
      stream = ipc.connectToIpv4TcpServer(IPV4_LOOPBACK, port);
    } catch (IpcException closedRuntime) {
      return CompletableFuture.failedFuture(closedRuntime);
    }
    AsyncExchange exchange = new AsyncExchange(stream, IPV4_LOOPBACK + ":" + port, message);
    return stream
        .whenReady(CONNECT_ENDED)
        .thenCompose(exchange::connected)
        .orTimeout(ASYNC_EXCHANGE_SECONDS, TimeUnit.SECONDS)
        // Closing also fails a whenReady future still pending after a timeout, so nothing stays.
        .whenComplete((echo, failure) -> stream.close());
  }

  /**
   * The state of one asynchronous exchange. Its steps never overlap, each starting when the future
   * the previous one returned completes, so the counters need no lock.
   */
  private static final class AsyncExchange {
    private final Ipv4TcpStream stream;
    private final String server;
    private final byte[] message;
    private final byte[] echo;
    private int sent;
    private int received;

    AsyncExchange(Ipv4TcpStream stream, String server, byte[] message) {
      this.stream = stream;
      this.server = server;
      this.message = message;
      this.echo = new byte[message.length];
    }

    CompletableFuture<byte[]> connected(Set<SocketEvent> events) {
      if (!events.contains(SocketEvent.CONNECTION_SUCCEEDED)) {
        return CompletableFuture.failedFuture(
            new IpcException("could not connect to " + server, stream));
      }
      return step(EnumSet.of(SocketEvent.READY_TO_WRITE));
    }

    private CompletableFuture<byte[]> step(Set<SocketEvent> events) {
      Set<SocketEvent> ready = events;
      try {
        while (true) {
          if (ready.equals(DISCONNECTED_ONLY)) {
            throw new IpcException(
                "the server went: " + progress(sent, received, message.length), stream);
          }
          if (sent < message.length) {
            sent += stream.writeToStream(message, sent, message.length);
          }
          received += stream.readFromStream(echo, received, echo.length);
          if (received == message.length) {
            return CompletableFuture.completedFuture(echo);
          }
          CompletableFuture<Set<SocketEvent>> next =
              stream.whenReady(sent < message.length ? SENDING : RECEIVING);
          /*
           * Called on the event loop, whenReady completes at once when an event already holds,
           * and thenCompose would then run the next step inside this one, a frame deeper each
           * time; taking the events here and going round keeps the stack flat.
           */
          if (!next.isDone() || next.isCompletedExceptionally()) {
            return next.thenCompose(this::step);
          }
          ready = next.join();
        }
      } catch (IpcException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
  }

  /**
   * Closes the bbipc runtime, then every other channel on the group, then shuts the group down,
   * waiting at most 10 s for each.
   */
  @Override
  public void close() {
    /*
     * bbipc's channels are closed twice over here, once by bbipc and once by the channel group;
     * the example has nothing in flight any more when it closes, so closing at once loses nothing.
     */
    ipc.close();
    shutDown(group, channels);
  }

  /**
   * Runs the demo: both clients send a short text and a 300 KB message through the Netty echo
   * server, then the bbipc runtime is closed while the group keeps running.
   *
   * @param transport the transport to make the group with
   * @param out where to report what was sent and received
   * @return true if every echo matched what was sent
   * @throws IOException if the server cannot start or an exchange fails
   * @throws InterruptedException if the thread is interrupted while waiting for the asynchronous
   *     client
   * @throws TimeoutException if an asynchronous exchange takes more than 30 s
   */
  public static boolean run(TransportProvider transport, PrintStream out)
      throws IOException, InterruptedException, TimeoutException {
    boolean allEqual = true;
    byte[] big = new byte[BIG_MESSAGE];
    new Random(4).nextBytes(big);
    try (EchoPipeline pipeline = start(transport)) {
      out.println(
          "netty echo server listening on "
              + IPV4_LOOPBACK
              + ":"
              + pipeline.port()
              + " (transport "
              + transport.name()
              + ", its event loop group shared with bbipc's "
              + pipeline.ipc().transportName()
              + " runtime)");

      byte[] hello = "Hello World".getBytes(StandardCharsets.UTF_8);
      out.println("synchronous client sent: " + describe(hello));
      byte[] echo = pipeline.sendSynchronously(hello);
      out.println("synchronous client received: " + describe(echo));
      allEqual &= Arrays.equals(hello, echo);

      out.println("synchronous client sent: " + describe(big));
      echo = pipeline.sendSynchronously(big);
      out.println("synchronous client received: " + describe(echo));
      allEqual &= Arrays.equals(big, echo);

      byte[] again = "Hello again, from whenReady".getBytes(StandardCharsets.UTF_8);
      out.println("asynchronous client sent: " + describe(again));
      echo = await(pipeline.sendAsynchronously(again));
      out.println("asynchronous client received: " + describe(echo));
      allEqual &= Arrays.equals(again, echo);

      out.println("asynchronous client sent: " + describe(big));
      echo = await(pipeline.sendAsynchronously(big));
      out.println("asynchronous client received: " + describe(echo));
      allEqual &= Arrays.equals(big, echo);

      pipeline.ipc().close();
      out.println(
          "bbipc runtime closed; event loop group still running: "
              + !pipeline.group().isShuttingDown()
              + ", Netty server still open: "
              + pipeline.serverChannel().isOpen());
    }
    out.println("event loop group shut down by its owner");
    return allEqual;
  }

  private static byte[] await(CompletableFuture<byte[]> exchange)
      throws IOException, InterruptedException, TimeoutException {
    try {
      // Longer than the exchange's own bound, which then reports the timeout itself.
      return exchange.get(ASYNC_EXCHANGE_SECONDS + STOP_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException) {
        throw (IOException) e.getCause();
      }
      if (e.getCause() instanceof TimeoutException) {
        throw (TimeoutException) e.getCause();
      }
      throw new IllegalStateException("the asynchronous client failed", e.getCause());
    }
  }

  /** Text as itself; anything long as its length and checksum, which is enough to compare. */
  static String describe(byte[] bytes) {
    if (bytes.length <= 64) {
      return new String(bytes, StandardCharsets.UTF_8);
    }
    CRC32 crc = new CRC32();
    crc.update(bytes);
    return bytes.length + " bytes, CRC-32 " + String.format("%08x", crc.getValue());
  }

  /**
   * Runs the demo on the transport named by the only argument, or on the one {@link Ipc#create()}
   * would pick, and exits with 0 if every echo matched.
   *
   * @param args an optional transport name, such as {@code nio}
   * @throws Exception if the demo fails
   */
  public static void main(String[] args) throws Exception {
    if (args.length > 1) {
      System.err.println("usage: EchoPipeline [TRANSPORT]   (epoll, io_uring, kqueue or nio)");
      System.exit(Main.USAGE_ERROR);
    }
    TransportProvider transport = args.length == 1 ? transport(args[0]) : defaultTransport();
    System.exit(run(transport, System.out) ? 0 : Main.FAILURE);
  }
}
