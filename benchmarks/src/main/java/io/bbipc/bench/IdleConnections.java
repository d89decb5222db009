package io.bbipc.bench;

import io.bbipc.Ipc;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.ServerOptions;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Many open, idle loopback TCP connections whose accepted ends live in this JVM (bbipc streams, raw
 * Netty channels or JDK SocketChannels) and whose connecting ends live in a {@link PeerProcess}.
 */
final class IdleConnections implements AutoCloseable {
  private static final long ACCEPT_SECONDS = 180;

  private final Sys sys;
  private Ipc ipc;
  private Ipv4TcpServer bbipcServer;
  private final List<StreamSocket> streams = new ArrayList<>();
  private EventLoopGroup group;
  private Endpoints.NettyServer nettyServer;
  private final ConcurrentLinkedQueue<Channel> nettyAccepted = new ConcurrentLinkedQueue<>();
  private final List<Channel> channels = new ArrayList<>();
  private ServerSocketChannel jdkServer;
  private final List<SocketChannel> jdkAccepted = new ArrayList<>();
  private Process peers;

  private IdleConnections(Sys sys) {
    this.sys = sys;
  }

  /** Listens; nothing is connected yet, so a memory baseline can be taken now. */
  static IdleConnections listen(Sys sys, String transport) throws IOException {
    IdleConnections c = new IdleConnections(sys);
    try {
      switch (sys) {
        case BBIPC_SYNC:
        case BBIPC_ASYNC:
          c.ipc = Ipc.builder().transport(transport).build();
          c.bbipcServer =
              c.ipc.makeIpv4TcpServer(
                  Endpoints.LOOPBACK, 0, ServerOptions.defaults().backlog(4096));
          break;
        case NETTY:
          c.group = Endpoints.nettyGroup(transport);
          c.nettyServer =
              Endpoints.NettyServer.open(
                  c.group, transport, Family.TCP, new Collect(c.nettyAccepted));
          break;
        case JDK:
          c.jdkServer = ServerSocketChannel.open();
          c.jdkServer.bind(new InetSocketAddress(Endpoints.LOOPBACK, 0), 4096);
          // non-blocking, so a peer process that dies cannot leave accept() waiting forever
          c.jdkServer.configureBlocking(false);
          break;
        default:
          throw new AssertionError(sys);
      }
      return c;
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  static IdleConnections open(Sys sys, String transport, int count, int ready) throws IOException {
    IdleConnections c = listen(sys, transport);
    try {
      c.connect(count, ready);
      return c;
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  @ChannelHandler.Sharable
  static final class Collect extends ChannelInboundHandlerAdapter {
    private final java.util.Queue<Channel> accepted;

    Collect(java.util.Queue<Channel> accepted) {
      this.accepted = accepted;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      accepted.add(ctx.channel());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }
  }

  private int port() {
    if (bbipcServer != null) {
      return bbipcServer.port();
    }
    if (nettyServer != null) {
      return ((InetSocketAddress) nettyServer.address).getPort();
    }
    return jdkServer.socket().getLocalPort();
  }

  /**
   * Starts the peer process and accepts its {@code count} connections, {@code ready} of which send
   * a byte.
   */
  void connect(int count, int ready) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb =
        new ProcessBuilder(
            java.toString(),
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            PeerProcess.class.getName(),
            Endpoints.LOOPBACK,
            Integer.toString(port()),
            Integer.toString(count),
            Integer.toString(ready));
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    peers = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ACCEPT_SECONDS);
    int accepted = 0;
    // The peer connects one by one; accept as they come, or the backlog fills and it stalls.
    while (accepted < count) {
      if (System.nanoTime() > deadline || !peers.isAlive()) {
        throw new IOException(
            "accepted only "
                + accepted
                + " of "
                + count
                + " connections"
                + (peers.isAlive()
                    ? " within " + ACCEPT_SECONDS + " s"
                    : "; the peer process exited " + peers.exitValue()));
      }
      accepted += acceptSome(count - accepted);
    }
    BufferedReader r =
        new BufferedReader(new InputStreamReader(peers.getInputStream(), StandardCharsets.UTF_8));
    String line = r.readLine();
    if (line == null || !line.equals("connected " + count)) {
      throw new IOException("peer process said: " + line);
    }
    if (ready > 0) {
      awaitReady(ready);
    }
  }

  private int acceptSome(int most) throws IOException {
    int n = 0;
    switch (sys) {
      case BBIPC_SYNC:
      case BBIPC_ASYNC:
        if (bbipcServer.poll(SocketEvent.CONNECTION_AVAILABLE, Timeout.seconds(0.1))) {
          while (n < most && bbipcServer.connectionAvailable()) {
            streams.add(bbipcServer.acceptConnection());
            n++;
          }
        }
        return n;
      case NETTY:
        Channel ch;
        while (n < most && (ch = nettyAccepted.poll()) != null) {
          channels.add(ch);
          n++;
        }
        if (n == 0) {
          sleepBriefly();
        }
        return n;
      case JDK:
        SocketChannel c;
        while (n < most && (c = jdkServer.accept()) != null) {
          jdkAccepted.add(c);
          n++;
        }
        if (n == 0) {
          sleepBriefly();
        }
        return n;
      default:
        throw new AssertionError(sys);
    }
  }

  private static void sleepBriefly() {
    try {
      Thread.sleep(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The bytes the peer wrote travel after its connects; wait until they are buffered here. */
  private void awaitReady(int ready) throws IOException {
    if (sys != Sys.BBIPC_SYNC && sys != Sys.BBIPC_ASYNC) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      int n = 0;
      for (StreamSocket s : streams) {
        if (s.dataAvailable()) {
          n++;
        }
      }
      if (n == ready) {
        return;
      }
      sleepBriefly();
    }
    throw new IOException("the peer's " + ready + " byte(s) did not arrive within 30 s");
  }

  Ipc ipc() {
    return ipc;
  }

  List<StreamSocket> bbipcStreams() {
    return streams;
  }

  int size() {
    return streams.size() + channels.size() + jdkAccepted.size();
  }

  @Override
  public void close() {
    if (peers != null) {
      try {
        peers.getOutputStream().close();
        if (!peers.waitFor(10, TimeUnit.SECONDS)) {
          peers.destroyForcibly();
        }
      } catch (IOException | InterruptedException e) {
        peers.destroyForcibly();
      }
    }
    for (StreamSocket s : streams) {
      s.close();
    }
    if (bbipcServer != null) {
      bbipcServer.close();
    }
    if (ipc != null) {
      ipc.close();
    }
    for (Channel ch : channels) {
      ch.close();
    }
    if (nettyServer != null) {
      nettyServer.close();
    }
    if (group != null) {
      Endpoints.shutdown(group);
    }
    for (SocketChannel c : jdkAccepted) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing an accepted socket cannot fail in a way that matters here
      }
    }
    if (jdkServer != null) {
      try {
        jdkServer.close();
      } catch (IOException ignored) {
        // as above
      }
    }
  }
}
