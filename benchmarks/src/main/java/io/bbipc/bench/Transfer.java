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
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One-direction streaming over one connection in 64 KiB writes. For every system the bytes start in
 * a {@code byte[]} on the sending side and end in a {@code byte[]} on the receiving side, as an
 * application's would: raw Netty copies into a pooled direct buffer to send and out of the received
 * buffers, as bbipc does inside, and the JDK writes from and reads into heap buffers.
 */
abstract class Transfer implements AutoCloseable {
  static final int CHUNK = 64 * 1024;
  static final long STALL_SECONDS = 60;

  /** Moves {@code bytes} from the client to the server and returns once all have been received. */
  abstract void transfer(long bytes) throws Exception;

  @Override
  public abstract void close() throws IOException;

  static Transfer open(Sys sys, String transport, Family family) throws Exception {
    switch (sys) {
      case JDK:
        return new Jdk(family);
      case BBIPC_SYNC:
        return new BbipcSync(Endpoints.BbipcPair.open(transport, family));
      case BBIPC_SYNC_CALLER:
        return new BbipcCallerDriven(transport, family);
      case BBIPC_ASYNC:
        return new BbipcAsync(Endpoints.BbipcPair.open(transport, family));
      case NETTY:
        return new Netty(transport, family);
      default:
        throw new AssertionError(sys);
    }
  }

  /**
   * A sending thread that takes one job at a time, so a transfer's timing holds no thread start.
   */
  abstract static class WithSender extends Transfer {
    private final SynchronousQueue<Long> jobs = new SynchronousQueue<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread sender;
    volatile boolean closing;

    WithSender(String name) {
      sender =
          new Thread(
              () -> {
                try {
                  while (true) {
                    long bytes = jobs.take();
                    if (bytes < 0) {
                      return;
                    }
                    send(bytes);
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } catch (Exception | Error e) {
                  if (!closing) {
                    failure.set(e);
                  }
                }
              },
              name);
      sender.setDaemon(true);
      sender.start();
    }

    abstract void send(long bytes) throws Exception;

    abstract void receive(long bytes) throws Exception;

    @Override
    final void transfer(long bytes) throws Exception {
      if (!jobs.offer(bytes, STALL_SECONDS, TimeUnit.SECONDS)) {
        throw new IOException("the sender is still busy with the previous transfer", failure.get());
      }
      receive(bytes);
      Throwable f = failure.get();
      if (f != null) {
        throw new IOException("sender failed: " + f, f);
      }
    }

    final void stopSender() {
      closing = true;
      sender.interrupt();
      PingPong.join(sender);
    }
  }

  // ---------------------------------------------------------------- bbipc synchronous

  static final class BbipcSync extends WithSender {
    private final Endpoints.BbipcPair pair;
    private final byte[] out = new byte[CHUNK];
    private final byte[] in = new byte[CHUNK];

    BbipcSync(Endpoints.BbipcPair pair) {
      super("bbipc-sync-sender");
      this.pair = pair;
    }

    @Override
    void send(long bytes) throws IpcException {
      StreamSocket s = pair.client;
      long left = bytes;
      while (left > 0) {
        int len = (int) Math.min(CHUNK, left);
        Endpoints.writeFully(s, out, len);
        left -= len;
      }
    }

    @Override
    void receive(long bytes) throws IpcException {
      StreamSocket s = pair.accepted;
      long got = 0;
      while (got < bytes) {
        s.poll(SocketEvent.DATA_AVAILABLE, io.bbipc.Timeout.INDEFINITE);
        got += s.readFromStream(in, 0, (int) Math.min(CHUNK, bytes - got));
      }
    }

    @Override
    public void close() {
      closing = true;
      pair.close();
      stopSender();
    }
  }

  // ---------------------------------------------------------------- bbipc synchronous,
  // caller-driven

  /**
   * The same loops as {@link BbipcSync}, each end on a caller-driven runtime of its own, owned by a
   * thread of its own ({@link OwnerThread}): JMH may run a benchmark's setup, its iterations and
   * its teardown on different threads, and only a runtime's owner may use its sockets. A transfer
   * hands one job to each owner and waits for both.
   *
   * <p>A caller-driven sender's last bytes may still be in its outbound buffer when its last {@code
   * writeToStream} returns: they go out during its owner's later calls into the runtime, and
   * nothing tells the owner when they have gone. So the receiver answers the last byte with one
   * byte of its own, and the sender waits for that answer ({@code poll}, which also sends what is
   * left): one extra one-byte message per transfer, as a caller-driven application would need.
   */
  static final class BbipcCallerDriven extends Transfer {
    private final OwnerThread receiver;
    private final OwnerThread sender;
    private final Endpoints.CallerDrivenServer server;
    private final StreamSocket client;
    private final StreamSocket accepted;
    private final byte[] out = new byte[CHUNK];
    private final byte[] in = new byte[CHUNK];
    private final byte[] ack = new byte[1];
    private final byte[] acked = new byte[1];

    BbipcCallerDriven(String transport, Family family) throws Exception {
      OwnerThread r = new OwnerThread("bbipc-cd-receiver", transport, java.time.Duration.ZERO);
      OwnerThread w = null;
      Endpoints.CallerDrivenServer s = null;
      try {
        w = new OwnerThread("bbipc-cd-sender", transport, java.time.Duration.ZERO);
        s =
            PingPong.await(
                r.submit(ipc -> Endpoints.CallerDrivenServer.make(ipc, family)),
                "caller-driven " + transport + " server");
        Endpoints.CallerDrivenServer made = s;
        CompletableFuture<StreamSocket> a = r.submit(ipc -> made.accept());
        client = PingPong.await(w.submit(made::connect), "caller-driven " + transport + " connect");
        accepted = PingPong.await(a, "caller-driven " + transport + " accept");
      } catch (Exception | Error e) {
        r.close();
        if (w != null) {
          w.close();
        }
        if (s != null) {
          Endpoints.deleteQuietly(s.dir);
        }
        throw e;
      }
      receiver = r;
      sender = w;
      server = s;
    }

    @Override
    void transfer(long bytes) throws Exception {
      CompletableFuture<Object> received =
          receiver.submit(
              ipc -> {
                long got = 0;
                while (got < bytes) {
                  accepted.poll(SocketEvent.DATA_AVAILABLE, io.bbipc.Timeout.INDEFINITE);
                  got += accepted.readFromStream(in, 0, (int) Math.min(CHUNK, bytes - got));
                }
                Endpoints.writeFully(accepted, ack, 1);
                return null;
              });
      CompletableFuture<Object> sent =
          sender.submit(
              ipc -> {
                long left = bytes;
                while (left > 0) {
                  int len = (int) Math.min(CHUNK, left);
                  Endpoints.writeFully(client, out, len);
                  left -= len;
                }
                // keeps the runtime going, so the rest of the outbound buffer goes out, until the
                // receiver has it all
                Endpoints.readFully(client, acked, 1);
                return null;
              });
      // done when both are; failed as soon as either fails, so a failed send is not a stalled
      // receive
      CompletableFuture<Void> both = new CompletableFuture<>();
      CompletableFuture.allOf(received, sent).whenComplete((v, e) -> both.complete(null));
      received.exceptionally(e -> failed(both, e));
      sent.exceptionally(e -> failed(both, e));
      PingPong.await(both, "bbipc caller-driven streaming");
    }

    private static Object failed(CompletableFuture<Void> both, Throwable e) {
      both.completeExceptionally(e);
      return null;
    }

    @Override
    public void close() {
      sender.close();
      receiver.close();
      Endpoints.deleteQuietly(server.dir);
    }
  }

  // ---------------------------------------------------------------- bbipc asynchronous

  /** Both ends are whenReady chains on their event loops; no thread of their own. */
  static final class BbipcAsync extends Transfer {
    private static final Set<SocketEvent> DATA = EnumSet.of(SocketEvent.DATA_AVAILABLE);
    private static final Set<SocketEvent> WRITABLE = EnumSet.of(SocketEvent.READY_TO_WRITE);
    private final Endpoints.BbipcPair pair;
    private final byte[] out = new byte[CHUNK];
    private final byte[] in = new byte[CHUNK];

    BbipcAsync(Endpoints.BbipcPair pair) {
      this.pair = pair;
    }

    @Override
    void transfer(long bytes) throws Exception {
      StreamSocket w = pair.client;
      StreamSocket r = pair.accepted;
      long[] sent = {0};
      int[] inChunk = {0};
      CompletableFuture<Void> sending =
          w.whenReady(WRITABLE)
              .thenCompose(
                  e ->
                      loop(
                          () -> {
                            // writes until the outbound buffer is full, then waits for
                            // READY_TO_WRITE
                            while (sent[0] < bytes) {
                              int len = (int) Math.min(CHUNK, bytes - sent[0] + inChunk[0]);
                              int n = write(w, out, inChunk[0], len);
                              if (n == 0) {
                                return w.whenReady(WRITABLE);
                              }
                              sent[0] += n;
                              inChunk[0] = inChunk[0] + n == len ? 0 : inChunk[0] + n;
                            }
                            return null;
                          }));
      long[] got = {0};
      CompletableFuture<Void> receiving =
          r.whenReady(DATA)
              .thenCompose(
                  e ->
                      loop(
                          () -> {
                            while (got[0] < bytes) {
                              int n = read(r, in, (int) Math.min(CHUNK, bytes - got[0]));
                              if (n == 0) {
                                return r.whenReady(DATA);
                              }
                              got[0] += n;
                            }
                            return null;
                          }));
      PingPong.await(CompletableFuture.allOf(sending, receiving), "bbipc async streaming");
    }

    private static int write(StreamSocket s, byte[] b, int start, int end) {
      try {
        return s.writeToStream(b, start, end);
      } catch (IpcException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }

    private static int read(StreamSocket s, byte[] b, int len) {
      try {
        return s.readFromStream(b, 0, len);
      } catch (IpcException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }

    @Override
    public void close() {
      pair.close();
    }
  }

  /**
   * Runs {@code step} until it returns null; a step returns the future to wait for before the next.
   * A future already complete is looped over rather than chained, so the stack stays flat.
   */
  static CompletableFuture<Void> loop(Supplier<CompletableFuture<?>> step) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Runnable[] next = new Runnable[1];
    next[0] =
        () -> {
          try {
            while (true) {
              CompletableFuture<?> wait = step.get();
              if (wait == null) {
                done.complete(null);
                return;
              }
              if (wait.isDone() && !wait.isCompletedExceptionally()) {
                continue;
              }
              wait.whenComplete(
                  (v, e) -> {
                    if (e != null) {
                      done.completeExceptionally(e);
                    } else {
                      next[0].run();
                    }
                  });
              return;
            }
          } catch (RuntimeException | Error e) {
            done.completeExceptionally(e);
          }
        };
    next[0].run();
    return done;
  }

  // ---------------------------------------------------------------- raw Netty

  /**
   * The sender writes while the channel is writable and flushes each batch, resuming on
   * channelWritabilityChanged; the receiver copies every buffer out into a byte[].
   */
  static final class Netty extends Transfer {
    private final EventLoopGroup group;
    private final Endpoints.NettyServer server;
    private final Channel client;
    private final Sender sender = new Sender();
    private final Receiver receiver = new Receiver();

    Netty(String transport, Family family) throws IOException {
      group = Endpoints.nettyGroup(transport);
      try {
        server = Endpoints.NettyServer.open(group, transport, family, receiver);
        client =
            Endpoints.nettyClient(group, transport, family, sender)
                .connect(server.address)
                .syncUninterruptibly()
                .channel();
      } catch (RuntimeException | IOException e) {
        Endpoints.shutdown(group);
        throw e;
      }
    }

    static final class Sender extends ChannelInboundHandlerAdapter {
      private final byte[] out = new byte[CHUNK];
      private ChannelHandlerContext ctx;
      private long left;
      private CompletableFuture<Void> failed;

      @Override
      public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
      }

      void start(long bytes, CompletableFuture<Void> failed) {
        this.left = bytes;
        this.failed = failed;
        writeWhileWritable();
      }

      private void writeWhileWritable() {
        boolean wrote = false;
        while (left > 0 && ctx.channel().isWritable()) {
          int n = (int) Math.min(CHUNK, left);
          ByteBuf b = ctx.alloc().ioBuffer(n).writeBytes(out, 0, n);
          ctx.write(b, ctx.voidPromise());
          left -= n;
          wrote = true;
        }
        if (wrote) {
          ctx.flush();
        }
      }

      @Override
      public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
          writeWhileWritable();
        }
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (failed != null) {
          failed.completeExceptionally(cause);
        }
      }
    }

    @ChannelHandler.Sharable
    static final class Receiver extends ChannelInboundHandlerAdapter {
      private final byte[] in = new byte[CHUNK];
      final CompletableFuture<ChannelHandlerContext> active = new CompletableFuture<>();
      private long target;
      private CompletableFuture<Void> done;
      private long got;

      @Override
      public void channelActive(ChannelHandlerContext ctx) {
        active.complete(ctx);
      }

      void expect(long bytes, CompletableFuture<Void> done) {
        this.got = 0;
        this.target = bytes;
        this.done = done;
      }

      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf b = (ByteBuf) msg;
        try {
          while (b.isReadable()) {
            int n = Math.min(CHUNK, b.readableBytes());
            b.readBytes(in, 0, n);
            got += n;
          }
        } finally {
          b.release();
        }
        CompletableFuture<Void> d = done;
        if (d != null && got >= target) {
          if (got != target) {
            d.completeExceptionally(new IOException("received " + got + " bytes, sent " + target));
          }
          done = null;
          d.complete(null);
        }
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        CompletableFuture<Void> d = done;
        if (d != null) {
          d.completeExceptionally(cause);
        }
      }
    }

    @Override
    void transfer(long bytes) throws Exception {
      CompletableFuture<Void> received = new CompletableFuture<>();
      // the receiver's count belongs to the accepted channel's loop: reset it there
      ChannelHandlerContext acceptedCtx = PingPong.await(receiver.active, "raw Netty accept");
      acceptedCtx.executor().submit(() -> receiver.expect(bytes, received)).syncUninterruptibly();
      CompletableFuture<Void> failed = new CompletableFuture<>();
      client.eventLoop().execute(() -> sender.start(bytes, failed));
      PingPong.await(CompletableFuture.anyOf(received, failed), "raw Netty streaming");
    }

    @Override
    public void close() {
      client.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
      server.close();
      Endpoints.shutdown(group);
    }
  }

  // ---------------------------------------------------------------- JDK

  static final class Jdk extends WithSender {
    private final Endpoints.JdkServer server;
    private final SocketChannel client;
    private final SocketChannel accepted;
    private final ByteBuffer out = ByteBuffer.wrap(new byte[CHUNK]);
    private final ByteBuffer in = ByteBuffer.wrap(new byte[CHUNK]);

    Jdk(Family family) throws IOException {
      super("jdk-sender");
      server = Endpoints.JdkServer.open(family);
      client = server.connect();
      accepted = server.accept();
    }

    @Override
    void send(long bytes) throws IOException {
      long left = bytes;
      while (left > 0) {
        int n = (int) Math.min(CHUNK, left);
        out.clear().limit(n);
        while (out.hasRemaining()) {
          client.write(out);
        }
        left -= n;
      }
    }

    @Override
    void receive(long bytes) throws IOException {
      long got = 0;
      while (got < bytes) {
        in.clear().limit((int) Math.min(CHUNK, bytes - got));
        int n = accepted.read(in);
        if (n < 0) {
          throw new IOException("the JDK sender closed early");
        }
        got += n;
      }
    }

    @Override
    public void close() throws IOException {
      closing = true;
      client.close();
      accepted.close();
      server.close();
      stopSender();
    }
  }
}
