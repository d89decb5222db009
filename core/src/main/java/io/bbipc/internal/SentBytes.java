package io.bbipc.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelProgressivePromise;
import io.netty.channel.DefaultChannelProgressivePromise;
import io.netty.util.concurrent.AbstractFuture;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

/**
 * Counts a stream's bytes as the transport hands them to the kernel, and the bytes of writes that
 * failed.
 *
 * <p>Every Netty transport (NIO, epoll, kqueue, io_uring, and bbipc's own local channels) reports
 * what each system call took to the promise of the write the bytes came from, through {@code
 * ChannelOutboundBuffer.progress} (which {@code removeBytes} calls), and only a progressive promise
 * hears it. Netty's pending total cannot tell the same: it adds an estimate for every write queued
 * from another thread and for every buffered write, and drops a write only once its last byte has
 * gone.
 *
 * <p>This object is the promise of every write that goes from bbipc's handler straight to the
 * transport: one per stream, so a write allocates nothing. Like Netty's void promise it takes no
 * listeners, never completes, and passes a failure on to the pipeline ({@code StreamTail} records
 * it). A write that passes the application's handlers gets a promise of its own ({@link
 * #forWrite}): a handler may keep it, listen to it, or write other bytes in its place (TLS).
 *
 * <p>Netty reports progress and completes writes on the event loop; the counts are read anywhere.
 */
final class SentBytes extends AbstractFuture<Void> implements ChannelProgressivePromise {
  private static final AtomicLongFieldUpdater<SentBytes> SENT =
      AtomicLongFieldUpdater.newUpdater(SentBytes.class, "sent");
  private static final AtomicLongFieldUpdater<SentBytes> DROPPED =
      AtomicLongFieldUpdater.newUpdater(SentBytes.class, "dropped");

  private final Channel channel;

  /** Bytes handed to the kernel. */
  private volatile long sent;

  /** Bytes of writes that failed before the kernel had them. */
  private volatile long dropped;

  /**
   * How much of the write going out now was counted; event loop only. Netty reports a write's
   * progress as a running total, and completes the write right after its last progress.
   */
  private long current;

  SentBytes(Channel channel) {
    this.channel = channel;
  }

  /** Bytes handed to the kernel so far; never falls. */
  long sent() {
    return sent;
  }

  /** Bytes of failed writes the kernel never had; never falls. */
  long dropped() {
    return dropped;
  }

  /** A promise of its own for a write of {@code size} bytes, for one that passes handlers. */
  ChannelProgressivePromise forWrite(int size) {
    return new Write(this, size);
  }

  private void add(long bytes) {
    if (bytes > 0) {
      SENT.addAndGet(this, bytes);
    }
  }

  private void addDropped(long bytes) {
    if (bytes > 0) {
      DROPPED.addAndGet(this, bytes);
    }
  }

  /** Passes a failed write's cause on to the pipeline, as Netty's void promise does. */
  private void fireException(Throwable cause) {
    if (channel.isRegistered()) {
      channel.pipeline().fireExceptionCaught(cause);
    }
  }

  // ---------------------------------------------------------------- what the transport calls

  @Override
  public boolean tryProgress(long progress, long total) {
    add(progress - current);
    current = progress;
    return true;
  }

  @Override
  public SentBytes setProgress(long progress, long total) {
    tryProgress(progress, total);
    return this;
  }

  /** A write is done: the next progress is the next write's. */
  @Override
  public boolean trySuccess(Void result) {
    current = 0;
    return true;
  }

  @Override
  public boolean trySuccess() {
    return trySuccess(null);
  }

  @Override
  public SentBytes setSuccess(Void result) {
    trySuccess(result);
    return this;
  }

  @Override
  public SentBytes setSuccess() {
    return setSuccess(null);
  }

  /**
   * A write failed, on the loop as the channel closes (the stream then holds nothing more), or on
   * the writing thread when the loop has gone; either way the next progress, if any, starts anew.
   */
  @Override
  public boolean tryFailure(Throwable cause) {
    current = 0;
    fireException(cause);
    return true;
  }

  @Override
  public SentBytes setFailure(Throwable cause) {
    tryFailure(cause);
    return this;
  }

  @Override
  public boolean setUncancellable() {
    return true;
  }

  // ---------------------------------------------------------------- a void future

  @Override
  public Channel channel() {
    return channel;
  }

  @Override
  public boolean isVoid() {
    return true;
  }

  /** A promise of its own, as Netty's void promise gives; its failure goes to the pipeline. */
  @Override
  public ChannelProgressivePromise unvoid() {
    ChannelProgressivePromise promise = new DefaultChannelProgressivePromise(channel);
    promise.addListener(
        f -> {
          if (!f.isSuccess()) {
            fireException(f.cause());
          }
        });
    return promise;
  }

  @Override
  public boolean isDone() {
    return false;
  }

  @Override
  public boolean isSuccess() {
    return false;
  }

  @Override
  public boolean isCancellable() {
    return false;
  }

  @Override
  public boolean isCancelled() {
    return false;
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    return false;
  }

  @Override
  public Throwable cause() {
    return null;
  }

  @Override
  public Void getNow() {
    return null;
  }

  private static IllegalStateException voidFuture() {
    return new IllegalStateException("void future");
  }

  @Override
  public SentBytes addListener(GenericFutureListener<? extends Future<? super Void>> listener) {
    throw voidFuture();
  }

  @Override
  @SafeVarargs
  @SuppressWarnings("varargs")
  public final SentBytes addListeners(
      GenericFutureListener<? extends Future<? super Void>>... listeners) {
    throw voidFuture();
  }

  @Override
  public SentBytes removeListener(GenericFutureListener<? extends Future<? super Void>> listener) {
    return this;
  }

  @Override
  @SafeVarargs
  @SuppressWarnings("varargs")
  public final SentBytes removeListeners(
      GenericFutureListener<? extends Future<? super Void>>... listeners) {
    return this;
  }

  @Override
  public SentBytes sync() {
    throw voidFuture();
  }

  @Override
  public SentBytes syncUninterruptibly() {
    throw voidFuture();
  }

  @Override
  public SentBytes await() {
    throw voidFuture();
  }

  @Override
  public SentBytes awaitUninterruptibly() {
    throw voidFuture();
  }

  @Override
  public boolean await(long timeout, TimeUnit unit) {
    throw voidFuture();
  }

  @Override
  public boolean await(long timeoutMillis) {
    throw voidFuture();
  }

  @Override
  public boolean awaitUninterruptibly(long timeout, TimeUnit unit) {
    throw voidFuture();
  }

  @Override
  public boolean awaitUninterruptibly(long timeoutMillis) {
    throw voidFuture();
  }

  @Override
  public String toString() {
    return "SentBytes(" + sent + " sent, " + dropped + " dropped)";
  }

  /**
   * The promise of one write that passes the application's handlers: its bytes count as the
   * transport reports them (never more than the write's own), the rest once it succeeds; a failure
   * or cancellation counts what was not sent as dropped. A handler that writes other bytes in its
   * place completes it once those are sent, and Netty reports their progress to a promise of the
   * handler's.
   */
  private static final class Write extends DefaultChannelProgressivePromise {
    private final SentBytes counter;
    private final int size;

    /** Counted so far; the transport reports progress and completes on the loop, one after. */
    private volatile long counted;

    Write(SentBytes counter, int size) {
      super(counter.channel);
      this.counter = counter;
      this.size = size;
    }

    @Override
    public boolean tryProgress(long progress, long total) {
      long now = Math.min(progress, size);
      long before = counted;
      if (now > before) {
        counted = now;
        counter.add(now - before);
      }
      return super.tryProgress(progress, total);
    }

    /** What is not counted yet, counted now: nothing more will come. */
    private long rest() {
      long rest = size - counted;
      counted = size;
      return rest;
    }

    @Override
    public boolean trySuccess(Void result) {
      if (!super.trySuccess(result)) {
        return false;
      }
      counter.add(rest());
      return true;
    }

    /** As Netty's, which does not call {@link #trySuccess}: it throws if already complete. */
    @Override
    public ChannelProgressivePromise setSuccess(Void result) {
      if (!trySuccess(result)) {
        throw new IllegalStateException("complete already: " + this);
      }
      return this;
    }

    @Override
    public boolean tryFailure(Throwable cause) {
      if (!super.tryFailure(cause)) {
        return false;
      }
      counter.addDropped(rest());
      counter.fireException(cause);
      return true;
    }

    /** As Netty's, which does not call {@link #tryFailure}: it throws if already complete. */
    @Override
    public ChannelProgressivePromise setFailure(Throwable cause) {
      if (!tryFailure(cause)) {
        throw new IllegalStateException("complete already: " + this, cause);
      }
      return this;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (!super.cancel(mayInterruptIfRunning)) {
        return false;
      }
      counter.addDropped(rest());
      return true;
    }
  }
}
