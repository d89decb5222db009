package io.bbipc.bench;

import io.bbipc.IpcException;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * A connected client and echo server of one system, timing 64-byte round trips. The client's clock
 * starts before the ping is handed to the system and stops once all 64 echoed bytes are in the
 * client's hands.
 */
abstract class PingPong implements AutoCloseable {
  static final int SIZE = 64;

  /**
   * Long enough for any honest round trip on a loaded machine; a stall is reported, not waited out.
   */
  static final long STALL_SECONDS = 30;

  /**
   * Runs {@code count} round trips, numbered from {@code first} (the number goes into the ping, so
   * that an echo of an earlier one is caught), and records each one's nanoseconds in {@code
   * latencies}. A histogram is not thread-safe: an implementation that records on an event loop
   * hands the rounds over one after another and returns only when the last is recorded.
   */
  abstract void run(Histogram latencies, int first, int count) throws Exception;

  /** Closes both ends; a stalled thread is left behind (it is a daemon) rather than waited for. */
  @Override
  public abstract void close() throws IOException;

  static PingPong open(Sys sys, String transport, Family family) throws Exception {
    switch (sys) {
      case JDK:
        return new Jdk(family);
      case BBIPC_SYNC:
        return new BbipcSync(Endpoints.BbipcPair.open(transport, family));
      case BBIPC_SYNC_SPIN:
        return new BbipcSync(Endpoints.BbipcPair.open(transport, family, Endpoints.SPIN));
      case BBIPC_SYNC_CALLER:
        return new BbipcCallerDriven(
            Endpoints.CallerDrivenPair.open(
                transport, family, java.time.Duration.ZERO, "bbipc-cd-echo"));
      case BBIPC_SYNC_CALLER_BUSY:
        return new BbipcCallerDriven(
            Endpoints.CallerDrivenPair.open(
                transport, family, Endpoints.BUSY_POLL, "bbipc-cd-busy-echo"));
      case BBIPC_ASYNC:
        return new BbipcAsync(Endpoints.BbipcPair.open(transport, family));
      case NETTY:
        return new Netty(transport, family);
      default:
        throw new AssertionError(sys);
    }
  }

  /** The echo must be the ping: a harness that measured lost or mixed-up bytes would lie. */
  static void check(byte[] ping, byte[] echo) throws IOException {
    for (int i = 0; i < SIZE; i++) {
      if (ping[i] != echo[i]) {
        throw new IOException(
            "echo differs from ping at byte " + i + ": " + echo[i] + " != " + ping[i]);
      }
    }
  }

  static void join(Thread t) {
    try {
      t.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void stamp(byte[] ping, int round) {
    ping[0] = (byte) round;
    ping[1] = (byte) (round >>> 8);
    ping[SIZE - 1] = (byte) (round >>> 16);
  }

  /**
   * The client half of both bbipc sync facades: write and read on the calling thread. One loop for
   * both, so the threaded and the caller-driven figures cannot drift apart by how they are timed.
   */
  static void blockingRoundTrips(
      StreamSocket c, byte[] ping, byte[] pong, Histogram latencies, int first, int count)
      throws IpcException, IOException {
    for (int i = 0; i < count; i++) {
      stamp(ping, first + i);
      long t0 = System.nanoTime();
      Endpoints.writeFully(c, ping, SIZE);
      Endpoints.readFully(c, pong, SIZE);
      latencies.recordValue(System.nanoTime() - t0);
      if (i == 0) {
        check(ping, pong);
      }
    }
    check(ping, pong);
  }

  static <T> T await(CompletableFuture<T> f, String what) throws Exception {
    try {
      return f.get(STALL_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new IOException(what + " stalled: no progress within " + STALL_SECONDS + " s", e);
    } catch (ExecutionException e) {
      Throwable cause =
          e.getCause() instanceof CompletionException && e.getCause().getCause() != null
              ? e.getCause().getCause()
              : e.getCause();
      throw new IOException(what + " failed: " + cause, cause);
    }
  }

  // ---------------------------------------------------------------- bbipc synchronous

  /** Client on the calling thread, echo on a thread of its own, both poll + read + write. */
  static final class BbipcSync extends PingPong {
    private final Endpoints.BbipcPair pair;
    private final Thread echo;
    private final AtomicReference<Throwable> echoFailure = new AtomicReference<>();
    private volatile boolean closing;
    private final byte[] ping = new byte[SIZE];
    private final byte[] pong = new byte[SIZE];

    BbipcSync(Endpoints.BbipcPair pair) {
      this.pair = pair;
      echo = new Thread(this::echo, "bbipc-sync-echo");
      echo.setDaemon(true);
      echo.start();
    }

    private void echo() {
      byte[] b = new byte[SIZE];
      try {
        while (true) {
          Endpoints.readFully(pair.accepted, b, SIZE);
          Endpoints.writeFully(pair.accepted, b, SIZE);
        }
      } catch (IpcException | RuntimeException e) {
        if (!closing) {
          echoFailure.set(e);
        }
      }
    }

    @Override
    void run(Histogram latencies, int first, int count) throws Exception {
      blockingRoundTrips(pair.client, ping, pong, latencies, first, count);
      Throwable f = echoFailure.get();
      if (f != null) {
        throw new IOException("echo thread failed: " + f, f);
      }
    }

    @Override
    public void close() {
      closing = true;
      pair.close();
      join(echo);
    }
  }

  // ---------------------------------------------------------------- bbipc synchronous,
  // caller-driven

  /**
   * The same ping-pong as {@link BbipcSync}, each end on a caller-driven runtime of its own: the
   * client's is owned by the thread that opened this (the one that runs the round trips), the
   * echo's by a thread of its own, which made the server, accepted and echoes.
   */
  static final class BbipcCallerDriven extends PingPong {
    private final Endpoints.CallerDrivenPair pair;
    private final CompletableFuture<Void> echo;
    private volatile boolean closing;
    private final byte[] ping = new byte[SIZE];
    private final byte[] pong = new byte[SIZE];

    BbipcCallerDriven(Endpoints.CallerDrivenPair pair) {
      this.pair = pair;
      StreamSocket accepted = pair.accepted;
      echo =
          pair.serverOwner.submit(
              ipc -> {
                byte[] b = new byte[SIZE];
                while (true) {
                  Endpoints.readFully(accepted, b, SIZE);
                  Endpoints.writeFully(accepted, b, SIZE);
                }
              });
    }

    @Override
    void run(Histogram latencies, int first, int count) throws Exception {
      blockingRoundTrips(pair.client, ping, pong, latencies, first, count);
      if (echo.isDone() && !closing) {
        try {
          echo.join();
        } catch (CompletionException e) {
          throw new IOException("echo owner failed: " + e.getCause(), e.getCause());
        }
      }
    }

    @Override
    public void close() {
      closing = true;
      pair.close();
    }
  }

  // ---------------------------------------------------------------- bbipc asynchronous

  /**
   * Both ends are {@code whenReady} chains with {@code thenCompose}; no thread of their own, so
   * every step runs on the streams' event loops (the first client step too: it starts from a {@code
   * whenReady(READY_TO_WRITE)} that completes there).
   */
  static final class BbipcAsync extends PingPong {
    private static final Set<SocketEvent> DATA = EnumSet.of(SocketEvent.DATA_AVAILABLE);
    private static final Set<SocketEvent> WRITABLE = EnumSet.of(SocketEvent.READY_TO_WRITE);
    private final Endpoints.BbipcPair pair;
    private final AtomicReference<Throwable> echoFailure = new AtomicReference<>();
    private volatile boolean closing;
    private final byte[] ping = new byte[SIZE];
    private final byte[] pong = new byte[SIZE];
    private final byte[] echoBuffer = new byte[SIZE];

    BbipcAsync(Endpoints.BbipcPair pair) {
      this.pair = pair;
      echo();
    }

    /** Reads until {@code b[0..len)} is full; each wait is a whenReady continued by thenCompose. */
    static CompletableFuture<Void> readAsync(StreamSocket s, byte[] b, int got, int len) {
      return s.whenReady(DATA)
          .thenCompose(
              events -> {
                int n;
                try {
                  n = got + s.readFromStream(b, got, len);
                } catch (IpcException e) {
                  throw new CompletionException(e);
                }
                return n == len ? CompletableFuture.completedFuture(null) : readAsync(s, b, n, len);
              });
    }

    static CompletableFuture<Void> writeAsync(StreamSocket s, byte[] b, int sent, int len) {
      int n;
      try {
        n = sent + s.writeToStream(b, sent, len);
      } catch (IpcException e) {
        return CompletableFuture.failedFuture(e);
      }
      return n == len
          ? CompletableFuture.completedFuture(null)
          : s.whenReady(WRITABLE).thenCompose(events -> writeAsync(s, b, n, len));
    }

    private void echo() {
      StreamSocket s = pair.accepted;
      readAsync(s, echoBuffer, 0, SIZE)
          .thenCompose(v -> writeAsync(s, echoBuffer, 0, SIZE))
          .whenComplete(
              (v, e) -> {
                if (e != null) {
                  if (!closing) {
                    echoFailure.set(e);
                  }
                } else {
                  // the next wait starts after the echo was written, so it is never already
                  // complete:
                  // the recursion unwinds each round instead of deepening
                  echo();
                }
              });
    }

    @Override
    void run(Histogram latencies, int first, int count) throws Exception {
      CompletableFuture<Void> done = new CompletableFuture<>();
      StreamSocket c = pair.client;
      c.whenReady(WRITABLE)
          .whenComplete(
              (events, e) -> {
                if (e != null) {
                  done.completeExceptionally(e);
                } else {
                  round(latencies, first, 0, count, done);
                }
              });
      await(done, "bbipc async ping-pong");
      check(ping, pong);
      Throwable f = echoFailure.get();
      if (f != null) {
        throw new IOException("async echo failed: " + f, f);
      }
    }

    private void round(
        Histogram latencies, int first, int i, int count, CompletableFuture<Void> done) {
      if (i == count) {
        done.complete(null);
        return;
      }
      stamp(ping, first + i);
      long t0 = System.nanoTime();
      StreamSocket c = pair.client;
      writeAsync(c, ping, 0, SIZE)
          .thenCompose(v -> readAsync(c, pong, 0, SIZE))
          .whenComplete(
              (v, e) -> {
                if (e != null) {
                  done.completeExceptionally(e);
                } else {
                  latencies.recordValue(System.nanoTime() - t0);
                  round(latencies, first, i + 1, count, done);
                }
              });
    }

    @Override
    public void close() {
      closing = true;
      pair.close();
    }
  }

  // ---------------------------------------------------------------- raw Netty

  /** An echo handler and a client handler that sends the next ping when the echo is complete. */
  static final class Netty extends PingPong {
    private final EventLoopGroup group;
    private final Endpoints.NettyServer server;
    private final Channel client;
    private final Client handler = new Client();

    Netty(String transport, Family family) throws IOException {
      group = Endpoints.nettyGroup(transport);
      try {
        server = Endpoints.NettyServer.open(group, transport, family, new Echo());
        client =
            Endpoints.nettyClient(group, transport, family, handler)
                .connect(server.address)
                .syncUninterruptibly()
                .channel();
      } catch (RuntimeException | IOException e) {
        Endpoints.shutdown(group);
        throw e;
      }
    }

    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ctx.write(msg, ctx.voidPromise());
      }

      @Override
      public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
      }
    }

    /** Touched only on the client's event loop once a run is handed to it. */
    static final class Client extends ChannelInboundHandlerAdapter {
      private ChannelHandlerContext ctx;
      private final byte[] ping = new byte[SIZE];
      private final byte[] pong = new byte[SIZE];
      private Histogram latencies;
      private int first;
      private int count;
      private int i;
      private int got;
      private long t0;
      private CompletableFuture<Void> done;

      @Override
      public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
      }

      void start(Histogram latencies, int first, int count, CompletableFuture<Void> done) {
        this.latencies = latencies;
        this.first = first;
        this.count = count;
        this.i = 0;
        this.done = done;
        send();
      }

      private void send() {
        stamp(ping, first + i);
        got = 0;
        t0 = System.nanoTime();
        ByteBuf b = ctx.alloc().ioBuffer(SIZE).writeBytes(ping);
        ctx.writeAndFlush(b, ctx.voidPromise());
      }

      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf b = (ByteBuf) msg;
        try {
          int n = Math.min(b.readableBytes(), SIZE - got);
          b.readBytes(pong, got, n);
          got += n;
        } finally {
          b.release();
        }
        if (got == SIZE && done != null) {
          latencies.recordValue(System.nanoTime() - t0);
          if (++i == count) {
            CompletableFuture<Void> d = done;
            done = null;
            d.complete(null);
          } else {
            send();
          }
        }
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (done != null) {
          done.completeExceptionally(cause);
        }
      }
    }

    @Override
    void run(Histogram latencies, int first, int count) throws Exception {
      CompletableFuture<Void> done = new CompletableFuture<>();
      client.eventLoop().execute(() -> handler.start(latencies, first, count, done));
      await(done, "raw Netty ping-pong");
      check(handler.ping, handler.pong);
    }

    @Override
    public void close() {
      client.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
      server.close();
      Endpoints.shutdown(group);
    }
  }

  // ---------------------------------------------------------------- JDK

  /** Blocking SocketChannels, TCP_NODELAY on TCP; the echo on a thread of its own. */
  static final class Jdk extends PingPong {
    private final Endpoints.JdkServer server;
    private final SocketChannel client;
    private final SocketChannel accepted;
    private final Thread echo;
    private final AtomicReference<Throwable> echoFailure = new AtomicReference<>();
    private volatile boolean closing;
    private final byte[] ping = new byte[SIZE];
    private final byte[] pong = new byte[SIZE];
    private final ByteBuffer out = ByteBuffer.allocateDirect(SIZE);
    private final ByteBuffer in = ByteBuffer.allocateDirect(SIZE);

    Jdk(Family family) throws IOException {
      server = Endpoints.JdkServer.open(family);
      client = server.connect();
      accepted = server.accept();
      echo = new Thread(this::echo, "jdk-echo");
      echo.setDaemon(true);
      echo.start();
    }

    private void echo() {
      ByteBuffer b = ByteBuffer.allocateDirect(SIZE);
      try {
        while (true) {
          b.clear();
          while (b.hasRemaining()) {
            if (accepted.read(b) < 0) {
              return;
            }
          }
          b.flip();
          while (b.hasRemaining()) {
            accepted.write(b);
          }
        }
      } catch (IOException e) {
        if (!closing) {
          echoFailure.set(e);
        }
      }
    }

    @Override
    void run(Histogram latencies, int first, int count) throws Exception {
      for (int i = 0; i < count; i++) {
        stamp(ping, first + i);
        long t0 = System.nanoTime();
        out.clear();
        out.put(ping).flip();
        while (out.hasRemaining()) {
          client.write(out);
        }
        in.clear();
        while (in.hasRemaining()) {
          if (client.read(in) < 0) {
            throw new IOException("the JDK echo server closed the connection");
          }
        }
        latencies.recordValue(System.nanoTime() - t0);
      }
      in.flip();
      in.get(pong);
      check(ping, pong);
      Throwable f = echoFailure.get();
      if (f != null) {
        throw new IOException("echo thread failed: " + f, f);
      }
    }

    @Override
    public void close() throws IOException {
      closing = true;
      client.close();
      join(echo);
      accepted.close();
      server.close();
    }
  }
}
