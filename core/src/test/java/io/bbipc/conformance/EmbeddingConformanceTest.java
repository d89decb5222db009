package io.bbipc.conformance;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.conformance.Fixture.WAIT;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpStream;
import io.bbipc.Ipv6TcpStream;
import io.bbipc.LocalStream;
import io.bbipc.ServerOptions;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.netty.NettyIpc;
import io.bbipc.spi.TransportProvider;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.io.TempDir;

/** bbipc inside Netty applications: adopted channels, pipeline hooks with TLS, whenReady chains. */
public class EmbeddingConformanceTest {
  @TempDir Path dir;

  // ---------------------------------------------------------------- adopting a channel

  @OverConformanceFixtures
  void aChannelAcceptedByNettyIsHandedToPlainCode(Fixture f) throws Exception {
    TransportProvider provider = Fixture.provider(f.serverTransport());
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, provider.ioHandlerFactory());
    BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
    AtomicInteger framesSeenByTheApplication = new AtomicInteger();
    try {
      ServerBootstrap b =
          new ServerBootstrap()
              .group(group)
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      ch.pipeline().addLast(new LineBasedFrameDecoder(1024));
                      ch.pipeline()
                          .addLast(
                              new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelActive(ChannelHandlerContext ctx) {
                                  accepted.add(ctx.channel());
                                  ctx.fireChannelActive();
                                }

                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                  framesSeenByTheApplication.incrementAndGet();
                                  ctx.fireChannelRead(msg);
                                }
                              });
                    }
                  });
      StreamSocket client;
      Channel listener;
      if (f.kind().isTcp()) {
        listener =
            b.channelFactory(new ReflectiveChannelFactory<>(provider.tcpServerChannelType()))
                .bind(f.loopback(0))
                .sync()
                .channel();
        client =
            f.connectToPort(f.clientIpc(), ((InetSocketAddress) listener.localAddress()).getPort());
      } else {
        Path path = dir.resolve("netty.sock");
        listener =
            b.channelFactory(new ReflectiveChannelFactory<>(provider.localServerChannelType()))
                .bind(provider.localAddress(path))
                .sync()
                .channel();
        client = f.clientIpc().connectToLocalServer(path);
      }
      try (client) {
        Channel channel = accepted.poll(10, TimeUnit.SECONDS);
        assertNotNull(channel, "Netty accepted nothing");
        StreamSocket adopted = NettyIpc.adopt(channel);
        try (adopted) {
          Class<?> expectedType =
              f.kind() == Fixture.Kind.TCP
                  ? Ipv4TcpStream.class
                  : f.kind() == Fixture.Kind.TCP6 ? Ipv6TcpStream.class : LocalStream.class;
          assertTrue(expectedType.isInstance(adopted), adopted.getClass().toString());
          assertTrue(adopted.connectionSucceeded());
          assertThrows(IllegalArgumentException.class, () -> NettyIpc.adopt(channel));
          assertTrue(client.poll(CONNECTION_SUCCEEDED, WAIT));
          assertEquals(12, client.writeToStream("hello\nworld\n".getBytes(US_ASCII)));
          // the application's decoder took the line ends off; its handler still saw each frame
          assertEquals(
              "helloworld",
              new String(Streams.readFully(adopted, 10, Streams.deadline(10)), US_ASCII));
          assertEquals(2, framesSeenByTheApplication.get());
          assertEquals(3, adopted.writeToStream(new byte[] {1, 2, 3}));
          assertEquals(3, Streams.readFully(client, 3, Streams.deadline(10)).length);
        }
        assertTrue(
            channel.closeFuture().await(10, TimeUnit.SECONDS),
            "closing the stream closes the channel");
        assertTrue(client.poll(SocketEvent.REMOTE_DISCONNECTED, WAIT));
      } finally {
        listener.close().sync();
      }
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  // ---------------------------------------------------------------- pipeline hooks: TLS and a
  // codec

  /** A server and a client TLS context over a fresh key pair for localhost: {server, client}. */
  static SslContext[] tlsContexts(Path dir) throws Exception {
    KeyStore ks = keyStore(dir);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "secret".toCharArray());
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    return new SslContext[] {
      SslContextBuilder.forServer(kmf).build(),
      SslContextBuilder.forClient().trustManager(tmf).build()
    };
  }

  /** A key store made by the JDK's keytool, so the test depends on no test certificate file. */
  static KeyStore keyStore(Path dir) throws Exception {
    Path store = dir.resolve("keys.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-keystore",
                store.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                "secret",
                "-keypass",
                "secret",
                "-alias",
                "bbipc",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-validity",
                "2",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost")
            .redirectErrorStream(true)
            .start();
    String output = new String(keytool.getInputStream().readAllBytes(), US_ASCII);
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS), "keytool hung");
    assertEquals(0, keytool.exitValue(), output);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, "secret".toCharArray());
    }
    return ks;
  }

  @OverConformanceFixtures
  void tlsAndALengthCodecSitBetweenTheSocketAndTheFacade(Fixture f) throws Exception {
    SslContext[] contexts = tlsContexts(dir);
    SslContext serverTls = contexts[0];
    SslContext clientTls = contexts[1];
    AtomicReference<ChannelPipeline> clientPipeline = new AtomicReference<>();
    ServerOptions options =
        ServerOptions.defaults()
            .pipeline(
                p -> {
                  p.addLast(serverTls.newHandler(p.channel().alloc()));
                  p.addLast(new LengthFieldBasedFrameDecoder(1 << 20, 0, 4, 0, 4));
                });
    try (Ipc server = f.builder(f.serverTransport()).build();
        Ipc client =
            f.builder(f.clientTransport())
                .pipeline(
                    p -> {
                      clientPipeline.set(p);
                      p.addLast(clientTls.newHandler(p.channel().alloc(), "localhost", 0));
                      p.addLast(new LengthFieldPrepender(4));
                    })
                .build()) {
      StreamServer listener = f.makeServer(server, dir.resolve("tls.sock"), options);
      StreamSocket c = f.connect(client, listener);
      assertTrue(listener.poll(CONNECTION_AVAILABLE, WAIT));
      StreamSocket a = listener.acceptConnection();
      assertTrue(c.poll(CONNECTION_SUCCEEDED, WAIT));
      byte[] data = Streams.randomBytes(new Random(9), 200_000);
      Streams.writeFully(c, data, Streams.deadline(20));
      Streams.assertSameBytes(data, Streams.readFully(a, data.length, Streams.deadline(20)));
      SslHandler tls = clientPipeline.get().get(SslHandler.class);
      assertTrue(tls.handshakeFuture().isSuccess(), "no TLS handshake happened");
      assertEquals(
          "localhost",
          ((java.security.cert.X509Certificate) tls.engine().getSession().getPeerCertificates()[0])
              .getSubjectX500Principal()
              .getName()
              .replace("CN=", ""));
      assertFalse(a.dataAvailable());
      c.close();
      a.close();
      listener.close();
    }
  }

  // ---------------------------------------------------------------- whenReady

  @OverConformanceFixtures
  void whenReadyChainsEchoWithNoThreadOfTheirOwn(Fixture f) throws Exception {
    try (Fixture.Connection c = f.connection(dir)) {
      int messages = 200;
      CompletableFuture<Void> server = echoForever(c.accepted());
      byte[] expected = new byte[messages * 100];
      new Random(1).nextBytes(expected);
      CompletableFuture<byte[]> done = sendAndCollect(c.client(), expected, messages);
      Streams.assertSameBytes(expected, done.get(60, TimeUnit.SECONDS));
      c.client().close();
      assertFalse(server.isCompletedExceptionally() && !(rootOf(server) instanceof IpcException));
    }
  }

  private static Throwable rootOf(CompletableFuture<?> f) {
    try {
      f.getNow(null);
      return null;
    } catch (java.util.concurrent.CompletionException e) {
      return e.getCause();
    }
  }

  /** Echoes whatever arrives until the stream goes; every step runs on the event loop. */
  private static CompletableFuture<Void> echoForever(StreamSocket s) {
    return s.whenReady(EnumSet.of(DATA_AVAILABLE, SocketEvent.REMOTE_DISCONNECTED))
        .thenCompose(
            events -> {
              if (!events.contains(DATA_AVAILABLE)) {
                return CompletableFuture.completedFuture(null);
              }
              try {
                byte[] b = new byte[4096];
                int n = s.readFromStream(b);
                // the bytes are in the buffer when the future completes, never after
                assertTrue(n > 0, "DATA_AVAILABLE completed with nothing to read");
                int w = s.writeToStream(b, 0, n);
                assertEquals(n, w, "the echo is small enough to fit the outbound buffer");
              } catch (IpcException e) {
                return CompletableFuture.failedFuture(e);
              }
              return echoForever(s);
            });
  }

  /** Sends {@code data} in {@code count} pieces, each after the previous echo came back. */
  private static CompletableFuture<byte[]> sendAndCollect(StreamSocket s, byte[] data, int count) {
    byte[] got = new byte[data.length];
    int piece = data.length / count;
    return step(s, data, got, piece, 0, 0).thenApply(v -> got);
  }

  private static CompletableFuture<Void> step(
      StreamSocket s, byte[] data, byte[] got, int piece, int sent, int received) {
    try {
      if (received == data.length) {
        return CompletableFuture.completedFuture(null);
      }
      int nextSent = sent;
      if (sent == received && sent < data.length) {
        nextSent += s.writeToStream(data, sent, sent + piece);
      }
      int n = s.readFromStream(got, received, data.length);
      int nowSent = nextSent;
      int nowReceived = received + n;
      if (n > 0 || nowSent != sent) {
        return step(s, data, got, piece, nowSent, nowReceived);
      }
      return s.whenReady(EnumSet.of(DATA_AVAILABLE))
          .thenCompose(e -> step(s, data, got, piece, nowSent, nowReceived));
    } catch (IpcException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @OverConformanceFixtures
  void cancelledWhenReadyFuturesDoNotSwallowTheNextEvent(Fixture f) throws Exception {
    // (that they leave no listener behind is ListenerLeakTest's)
    try (Fixture.Connection c = f.connection(dir)) {
      for (int i = 0; i < 1000; i++) {
        CompletableFuture<Set<SocketEvent>> pending =
            c.accepted().whenReady(EnumSet.of(DATA_AVAILABLE));
        assertTrue(pending.cancel(false));
      }
      CompletableFuture<Set<SocketEvent>> live = c.accepted().whenReady(EnumSet.of(DATA_AVAILABLE));
      c.client().writeToStream(new byte[] {1});
      assertEquals(EnumSet.of(DATA_AVAILABLE), live.get(10, TimeUnit.SECONDS));
    }
  }

  /**
   * What {@code blocking} throws (null if nothing) when a continuation of {@code s}'s next
   * DATA_AVAILABLE calls it, on the event loop.
   */
  private static CompletableFuture<Throwable> thrownOnTheLoop(
      StreamSocket s, java.util.concurrent.Callable<?> blocking) {
    return s.whenReady(EnumSet.of(DATA_AVAILABLE))
        .thenApply(
            events -> {
              try {
                blocking.call();
                return null;
              } catch (Throwable e) {
                return e;
              }
            });
  }

  @OverConformanceFixtures
  void blockingCallsAreRefusedOnAnEventLoop(Fixture f) throws Exception {
    try (Fixture.Connection c = f.connection(dir)) {
      // DATA_AVAILABLE cannot hold before the write below, so the callbacks run on the event loop
      CompletableFuture<Throwable> onLoop =
          thrownOnTheLoop(
              c.accepted(),
              () -> c.accepted().poll(SocketEvent.REMOTE_DISCONNECTED, Timeout.seconds(5)));
      CompletableFuture<Throwable> pollSocketsOnLoop =
          thrownOnTheLoop(
              c.client(),
              () ->
                  io.bbipc.BasicBinaryIpc.pollSockets(
                      List.of(c.client()),
                      List.of(EnumSet.of(SocketEvent.REMOTE_DISCONNECTED)),
                      Timeout.seconds(5)));
      assertEquals(1, c.client().writeToStream(new byte[] {1}));
      assertEquals(1, c.accepted().writeToStream(new byte[] {1}));
      Throwable e = onLoop.get(10, TimeUnit.SECONDS);
      Throwable e2 = pollSocketsOnLoop.get(10, TimeUnit.SECONDS);
      assertTrue(e2 instanceof IllegalStateException, "pollSockets ran on the event loop: " + e2);
      assertTrue(
          e instanceof IllegalStateException, "poll with a timeout ran on the event loop: " + e);
      assertTrue(e.getMessage().contains("event loop"), e.getMessage());
      // without waiting it is fine
      CompletableFuture<Set<SocketEvent>> immediate =
          c.accepted()
              .whenReady(EnumSet.of(SocketEvent.READY_TO_WRITE))
              .thenApply(
                  events -> {
                    try {
                      return c.accepted()
                          .poll(EnumSet.of(SocketEvent.READY_TO_WRITE), Timeout.IMMEDIATE);
                    } catch (IpcException ex) {
                      throw new java.util.concurrent.CompletionException(ex);
                    }
                  });
      assertEquals(EnumSet.of(SocketEvent.READY_TO_WRITE), immediate.get(10, TimeUnit.SECONDS));
    }
  }
}
