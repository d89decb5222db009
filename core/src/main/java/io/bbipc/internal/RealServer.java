package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.NoConnectionAvailableException;
import io.bbipc.ServerOptions;
import io.bbipc.ServerStats;
import io.bbipc.StreamServer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Promise;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A listening channel and the queue of connections it accepted that the user has not yet taken.
 * Accepted channels start reading at once, so bytes sent before {@code acceptConnection} wait in
 * the stream's buffer.
 *
 * @param <S> the kind of stream it accepts
 */
abstract class RealServer<S extends RealStream> extends AbstractSocket implements StreamServer {
  /** Bounds the wait for the event loop to close the listening channel. */
  private static final long CLOSE_WAIT_SECONDS = 10;

  private final ConcurrentLinkedQueue<S> waiting = new ConcurrentLinkedQueue<>();
  private final AtomicInteger waitingCount = new AtomicInteger();

  /**
   * How many accepted streams may wait before the server stops accepting (the kernel queues the
   * rest).
   */
  private final int waitingLimit;

  /** Pauses accepting at the waiting limit, the kernel's backlog then queueing the rest. */
  private volatile ReadGate acceptGate;

  /** Connections accepted and admitted; written on the event loop only. */
  private volatile long accepted;

  /** Set as the bind starts; the server is handed to the user only once it bound. */
  volatile Channel channel;

  /** Whether accepted streams stay open for writing after their peer finished sending. */
  final boolean halfClosure;

  RealServer(IpcRuntime runtime, ServerOptions options) {
    super(runtime);
    this.waitingLimit = options.backlog();
    this.halfClosure = options.halfClosure();
  }

  /**
   * Event loop: the stream of a channel this server accepted, configured by {@code SocketMaker}.
   */
  abstract S accepted(Channel ch);

  /** Called as the bind starts, before anything can connect. */
  final void listenOn(Channel ch) {
    acceptGate =
        new ReadGate(
            ch, runtime.isCallerDriven(), () -> waitingCount.get() < waitingLimit, () -> {});
    channel = ch;
  }

  @Override
  final int supportedMask() {
    return Events.SERVER_EVENTS;
  }

  @Override
  final int currentEvents() {
    return !isClosed() && waitingCount.get() > 0 ? Events.CONNECTION_AVAILABLE : 0;
  }

  @Override
  public final boolean connectionAvailable() {
    return holds(Events.CONNECTION_AVAILABLE);
  }

  @Override
  public final ServerStats stats() {
    return new ServerStats(accepted, waitingCount.get(), refused());
  }

  /** Connections refused for their peer's uid; none for a server that checks no uid. */
  long refused() {
    return 0;
  }

  @Override
  final ChannelFuture channelCloseFuture() {
    Channel ch = channel;
    return ch == null ? null : ch.closeFuture();
  }

  /** Takes the oldest waiting stream; a caller-driven owner first takes in what the kernel has. */
  @Override
  public final S acceptConnection() throws IpcException {
    runtime.enter(this);
    checkOpen();
    if (waitingCount.get() == 0 && runtime.runNow() > 0) {
      checkOpen();
    }
    S stream = waiting.poll();
    if (stream == null) {
      throw new NoConnectionAvailableException("no connection is waiting on " + this, this);
    }
    waitingCount.decrementAndGet();
    runtime.track(stream);
    acceptGate.consumed();
    return stream;
  }

  /** Event loop: an accepted connection became active. */
  final void offer(RealStream stream) {
    if (!admits(stream)) {
      stream.close();
      return;
    }
    accepted++;
    StreamEvents.accepted(stream);
    @SuppressWarnings("unchecked")
    S s = (S) stream;
    waiting.add(s);
    int count = waitingCount.incrementAndGet();
    if (isClosed()) {
      // close() may have drained the queue before this stream arrived
      closeWaiting();
      return;
    }
    if (count >= waitingLimit && acceptGate.pause()) {
      acceptGate.resumeIfRoom();
    }
    stateChanged();
  }

  private void closeWaiting() {
    S stream;
    while ((stream = waiting.poll()) != null) {
      waitingCount.decrementAndGet();
      stream.close();
    }
  }

  @Override
  final void closeOnce() {
    beforeChannelClose();
    Channel ch = channel;
    StreamEvents.closed(this, ch, "server", 0, 0);
    if (ch != null) {
      ChannelFuture closing = ch.close();
      // a caller-driven runtime's owner settles the close itself (IpcRuntime.settleClose)
      if (!Waiter.onEventLoop() && !runtime.isCallerDriven()) {
        // The listening socket is gone when close() returns, so the address can be bound again
        // at once and nobody connects to a closed server. NIO needs one more turn of the loop:
        // the JDK closes a registered channel's socket only at the selector's next select, and
        // a task scheduled from the loop runs only after that select.
        closing.awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        EventLoop loop = ch.eventLoop();
        Promise<Void> selected = loop.newPromise();
        try {
          loop.execute(
              () -> loop.schedule(() -> selected.trySuccess(null), 1, TimeUnit.MICROSECONDS));
          selected.awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (RejectedExecutionException shutDown) {
          // the loop is gone, and the socket with it
        }
      }
    }
    closeWaiting();
  }

  /** Event loop: whether a newly connected stream may be offered to the user. */
  boolean admits(RealStream stream) {
    return true;
  }

  /** Runs before the listening channel is closed (a local server removes its socket file here). */
  void beforeChannelClose() {}
}
