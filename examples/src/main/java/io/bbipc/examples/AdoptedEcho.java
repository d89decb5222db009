package io.bbipc.examples;

import static io.bbipc.BasicBinaryIpc.IPV4_LOOPBACK;

import io.bbipc.IpcException;
import io.bbipc.StreamSocket;
import io.bbipc.netty.NettyIpc;
import io.bbipc.spi.TransportProvider;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Netty server that hands every connection it accepts to plain code: {@link NettyIpc#adopt} turns
 * the channel into a bbipc stream, and a thread of the example's own echoes over it with the
 * synchronous calls of {@link EchoExample}, while a Netty handler the application put in the
 * pipeline before the hand-over goes on seeing every byte.
 */
public final class AdoptedEcho implements AutoCloseable {
  private static final long STOP_SECONDS = 10;

  private final EventLoopGroup group;
  private final ChannelGroup channels;
  private final Channel serverChannel;
  private final ByteCounter counter;
  private final BlockingQueue<StreamSocket> handedOver;
  private final Thread plainThread;
  private final AtomicLong served = new AtomicLong();

  private AdoptedEcho(
      EventLoopGroup group,
      ChannelGroup channels,
      Channel serverChannel,
      ByteCounter counter,
      BlockingQueue<StreamSocket> handedOver) {
    this.group = group;
    this.channels = channels;
    this.serverChannel = serverChannel;
    this.counter = counter;
    this.handedOver = handedOver;
    this.plainThread = new Thread(this::serveHandedOver, "adopted-echo");
    // Should close() not be called, the JVM must still be able to exit.
    plainThread.setDaemon(true);
  }

  /** An application's own handler, which stays in the pipeline of the adopted channel. */
  @ChannelHandler.Sharable
  static final class ByteCounter extends ChannelInboundHandlerAdapter {
    private final AtomicLong bytes = new AtomicLong();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf) {
        bytes.addAndGet(((ByteBuf) msg).readableBytes());
      }
      ctx.fireChannelRead(msg);
    }
  }

  /**
   * Makes each accepted channel a bbipc stream as it becomes active, and queues it for plain code.
   */
  @ChannelHandler.Sharable
  static final class HandOver extends ChannelInboundHandlerAdapter {
    private final BlockingQueue<StreamSocket> queue;

    HandOver(BlockingQueue<StreamSocket> queue) {
      this.queue = queue;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      /*
       * On the channel's own event loop, before any read: adopt puts bbipc's buffering handler at
       * the tail at once, so not one byte passes the pipeline's end unbuffered.
       */
      StreamSocket stream = NettyIpc.adopt(ctx.channel());
      ctx.pipeline().remove(this);
      queue.add(stream);
      ctx.fireChannelActive();
    }
  }

  /**
   * Makes an event loop group on {@code transport}, starts the Netty server on {@code 127.0.0.1}
   * and a free port, and starts the plain thread that echoes over the streams the server hands
   * over.
   *
   * @param transport an available transport, see {@link EchoPipeline#availableTransports()}
   * @return the running example, to be closed by the caller
   * @throws IOException if the server cannot be bound within 10 s
   */
  public static AdoptedEcho start(TransportProvider transport) throws IOException {
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            2, new DefaultThreadFactory("adopted-echo-netty", true), transport.ioHandlerFactory());
    // Every channel on the group, so that close() can wait for them all to be closed.
    ChannelGroup channels = new DefaultChannelGroup("adopted-echo", GlobalEventExecutor.INSTANCE);
    try {
      ByteCounter counter = new ByteCounter();
      BlockingQueue<StreamSocket> handedOver = new LinkedBlockingQueue<>();
      HandOver handOver = new HandOver(handedOver);
      ChannelFuture bound =
          new ServerBootstrap()
              .group(group)
              .channel(transport.tcpServerChannelType())
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      channels.add(ch);
                      ch.pipeline().addLast("count", counter).addLast("hand-over", handOver);
                    }
                  })
              .bind(IPV4_LOOPBACK, 0);
      if (!bound.awaitUninterruptibly(STOP_SECONDS, TimeUnit.SECONDS) || !bound.isSuccess()) {
        throw new IOException(
            "could not start the Netty server on "
                + IPV4_LOOPBACK
                + " within "
                + STOP_SECONDS
                + " s",
            bound.cause());
      }
      channels.add(bound.channel());
      AdoptedEcho echo = new AdoptedEcho(group, channels, bound.channel(), counter, handedOver);
      echo.plainThread.start();
      return echo;
    } catch (IOException | RuntimeException e) {
      EchoPipeline.shutDown(group, channels);
      throw e;
    }
  }

  /**
   * The plain code: one stream at a time, echoed with the original's loop until its client goes.
   */
  private void serveHandedOver() {
    byte[] buffer = new byte[10000];
    while (!Thread.currentThread().isInterrupted()) {
      StreamSocket stream;
      try {
        stream = handedOver.poll(STOP_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException stop) {
        break;
      }
      if (stream == null) {
        continue;
      }
      try (stream) {
        EchoExample.echo(stream, buffer);
        served.incrementAndGet();
      } catch (IpcException clientFailed) {
        System.err.println("adopted echo: dropped a client: " + clientFailed.getMessage());
      }
    }
    // Streams handed over after the last poll would otherwise keep their channels open.
    StreamSocket left;
    while ((left = handedOver.poll()) != null) {
      left.close();
    }
  }

  /**
   * Returns the port the Netty server listens on, on {@code 127.0.0.1}.
   *
   * @return the port
   */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /**
   * Returns how many bytes the application's own Netty handler has seen on adopted channels.
   *
   * @return the count
   */
  public long bytesCounted() {
    return counter.bytes.get();
  }

  /**
   * Returns how many adopted streams the plain thread has echoed to the end.
   *
   * @return the count
   */
  public long connectionsServed() {
    return served.get();
  }

  /**
   * Stops the plain thread, waiting at most 10 s, then closes every channel and shuts the group
   * down, waiting at most 10 s for each.
   *
   * @throws IllegalStateException if the plain thread did not stop within 10 s
   */
  @Override
  public void close() {
    plainThread.interrupt();
    try {
      plainThread.join(TimeUnit.SECONDS.toMillis(STOP_SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      EchoPipeline.shutDown(group, channels);
    }
    if (plainThread.isAlive()) {
      throw new IllegalStateException(
          "the adopted echo's plain thread did not stop within " + STOP_SECONDS + " s");
    }
  }

  /**
   * Sends each message with {@link EchoExample#sendToServer} to a new adopted-echo server and
   * reports what came back and what the Netty handler counted.
   *
   * @param transport the transport to make the group with
   * @param out where to report
   * @param messages the messages to send, one connection each
   * @return true if every echo matched what was sent
   * @throws IOException if the server cannot start or an exchange fails
   */
  public static boolean run(TransportProvider transport, PrintStream out, String... messages)
      throws IOException {
    boolean allEqual = true;
    try (AdoptedEcho echo = start(transport)) {
      out.println(
          "netty server listening on "
              + IPV4_LOOPBACK
              + ":"
              + echo.port()
              + " (transport "
              + transport.name()
              + "), handing each connection to a plain thread");
      for (String message : messages) {
        out.println("sent: " + EchoPipeline.describe(message.getBytes(StandardCharsets.UTF_8)));
        String reply = EchoExample.sendToServer(message, IPV4_LOOPBACK, echo.port());
        out.println("received: " + EchoPipeline.describe(reply.getBytes(StandardCharsets.UTF_8)));
        allEqual &= reply.equals(message);
      }
      out.println(
          "the application's Netty handler counted "
              + echo.bytesCounted()
              + " bytes on their way to the adopted streams");
    }
    return allEqual;
  }

  /**
   * Runs the example with the given messages, or "Hello World" and a 300 KB text, on the transport
   * {@link io.bbipc.Ipc#create()} would pick, and exits with 0 if every echo matched.
   *
   * @param args the messages, each sent over a connection of its own
   * @throws IOException if the example fails
   */
  public static void main(String[] args) throws IOException {
    String[] messages =
        args.length > 0
            ? args
            : new String[] {
              "Hello World", "0123456789abcdef".repeat(EchoPipeline.BIG_MESSAGE / 16)
            };
    System.exit(run(EchoPipeline.defaultTransport(), System.out, messages) ? 0 : Main.FAILURE);
  }
}
