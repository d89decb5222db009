package io.bbipc.bench;

import io.bbipc.Ipc;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Connections per second, one after another: connect, wait until connected, accept, close both
 * ends. bbipc and raw Netty close asynchronously (the close is queued on the event loop), the JDK
 * closes synchronously; each is timed as its user would use it.
 */
final class ConnectRate {
  private ConnectRate() {}

  /** One connect + accept + close; implementations keep their server between cycles. */
  interface Cycle extends AutoCloseable {
    void once() throws Exception;

    @Override
    void close() throws IOException;
  }

  static List<Results.ConnectRow> runAll(
      Settings settings, List<String> transports, Progress progress) {
    List<Results.ConnectRow> rows = new ArrayList<>();
    for (Family family : Family.values()) {
      rows.add(one(settings, Sys.JDK, Sys.NO_TRANSPORT, family, progress));
      for (String t : transports) {
        rows.add(one(settings, Sys.BBIPC_SYNC, t, family, progress));
        rows.add(one(settings, Sys.NETTY, t, family, progress));
      }
    }
    return rows;
  }

  static Results.ConnectRow one(
      Settings settings, Sys sys, String transport, Family family, Progress progress) {
    progress.start("connection rate " + sys.label(transport) + " " + family.label);
    try (Cycle cycle = open(sys, transport, family)) {
      int warm = settings.smoke ? 10 : 300;
      for (int i = 0; i < warm; i++) {
        cycle.once();
      }
      int n = 0;
      long t0 = System.nanoTime();
      long end = t0 + settings.connectMeasureNanos;
      long now;
      do {
        cycle.once();
        n++;
        now = System.nanoTime();
      } while (now < end && n < settings.connectMaxCount);
      double perSecond = n / ((now - t0) / 1e9);
      progress.done(String.format("%.0f /s", perSecond));
      return new Results.ConnectRow(sys, transport, family, n, perSecond, null);
    } catch (Exception | AssertionError e) {
      progress.failed(e);
      return new Results.ConnectRow(sys, transport, family, 0, Double.NaN, Results.describe(e));
    }
  }

  static Cycle open(Sys sys, String transport, Family family) throws IOException {
    switch (sys) {
      case BBIPC_SYNC:
        return bbipc(transport, family);
      case NETTY:
        return netty(transport, family);
      case JDK:
        return jdk(family);
      default:
        throw new AssertionError(sys);
    }
  }

  static Cycle bbipc(String transport, Family family) throws IOException {
    Ipc ipc = Ipc.builder().transport(transport).build();
    try {
      Path dir = family == Family.LOCAL ? Endpoints.socketDir() : null;
      Path path = dir == null ? null : dir.resolve("s.sock");
      StreamServer server =
          family == Family.TCP
              ? ipc.makeIpv4TcpServer(Endpoints.LOOPBACK, 0)
              : ipc.makeLocalServer(path);
      return new Cycle() {
        @Override
        public void once() throws IOException {
          StreamSocket c =
              family == Family.TCP
                  ? ipc.connectToIpv4TcpServer(Endpoints.LOOPBACK, ((Ipv4TcpServer) server).port())
                  : ipc.connectToLocalServer(path);
          Endpoints.awaitConnected(c, "bbipc connect");
          Endpoints.require(
              server.poll(SocketEvent.CONNECTION_AVAILABLE, Endpoints.SETUP_TIMEOUT),
              "bbipc server saw no connection within 30 s");
          StreamSocket a = server.acceptConnection();
          c.close();
          a.close();
        }

        @Override
        public void close() {
          server.close();
          ipc.close();
          Endpoints.deleteQuietly(dir);
        }
      };
    } catch (IOException | RuntimeException e) {
      ipc.close();
      throw e;
    }
  }

  @ChannelHandler.Sharable
  static final class Nothing extends ChannelInboundHandlerAdapter {}

  static Cycle netty(String transport, Family family) throws IOException {
    EventLoopGroup group = Endpoints.nettyGroup(transport);
    try {
      LinkedBlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
      Endpoints.NettyServer server =
          Endpoints.NettyServer.open(
              group, transport, family, new IdleConnections.Collect(accepted));
      Bootstrap b = Endpoints.nettyClient(group, transport, family, new Nothing());
      return new Cycle() {
        @Override
        public void once() throws Exception {
          Channel c = b.connect(server.address).syncUninterruptibly().channel();
          Channel a = accepted.poll(30, TimeUnit.SECONDS);
          Endpoints.require(a != null, "raw Netty server accepted nothing within 30 s");
          c.close();
          a.close();
        }

        @Override
        public void close() {
          server.close();
          Endpoints.shutdown(group);
        }
      };
    } catch (IOException | RuntimeException e) {
      Endpoints.shutdown(group);
      throw e;
    }
  }

  static Cycle jdk(Family family) throws IOException {
    Endpoints.JdkServer server = Endpoints.JdkServer.open(family);
    return new Cycle() {
      @Override
      public void once() throws IOException {
        SocketChannel c = server.connect();
        SocketChannel a = server.accept();
        c.close();
        a.close();
      }

      @Override
      public void close() throws IOException {
        server.close();
      }
    };
  }
}
