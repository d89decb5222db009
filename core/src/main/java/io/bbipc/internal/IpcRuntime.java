package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.IpcStats;
import io.bbipc.Poller;
import io.bbipc.ServerStats;
import io.bbipc.StreamStats;
import io.bbipc.spi.TransportProvider;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One event loop group and transport, the settings its sockets share, and the registry of the
 * sockets and pollers handed out on it, so that {@link #close()} closes them; for a caller-driven
 * runtime, also the entry of every call (the owner check, the loop run in the owner's calls).
 * {@link SocketMaker} makes its sockets, {@link ChannelAdoption} adopts applications' channels; the
 * public {@code Ipc} class is a thin face over these.
 */
public final class IpcRuntime {
  /** How long {@link #close()} lets streams deliver what was written before the loops stop. */
  private static final long CLOSE_FLUSH_MILLIS = 2000;

  /** How often a caller-driven runtime checks whether its owner has ended without closing it. */
  private static final long ORPHAN_CHECK_MILLIS = 1000;

  private final TransportProvider transport;
  private final EventLoopGroup group;
  private final boolean ownsGroup;
  private final int inboundBufferLimit;
  private final int outboundBufferLimit;
  private final Consumer<ChannelPipeline> pipeline;
  private final int connectTimeoutMillis;
  private volatile long spinNanos;
  private volatile boolean halfClosure;
  private final Set<AbstractSocket> sockets = ConcurrentHashMap.newKeySet();
  private final Set<RealPoller> pollers = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  /** The loop of a caller-driven runtime, run by its owner; null for a runtime with threads. */
  private final CallerDrivenLoop loop;

  /**
   * The close futures of a caller-driven runtime's sockets that were closed where the owner did not
   * wait for them: by another thread, by the owner inside a run, or by the runtime's close.
   * Stopping the loop waits for them (bounded), so that what a stream accepted is still delivered
   * whoever closed it.
   */
  private final Map<AbstractSocket, ChannelFuture> unsettled = new ConcurrentHashMap<>();

  /** Past this many entries, {@link #unsettled} drops those already closed; amortised O(1). */
  private volatile int pruneUnsettledAt = 64;

  /**
   * The close futures of sockets the owner closed inside a run, where it cannot wait: it waits for
   * them as soon as the run has ended, before its call returns. Owner only.
   */
  private final List<ChannelFuture> closedInRun = new ArrayList<>();

  /**
   * Set while a caller-driven owner closes the whole runtime: sockets then do not settle one by
   * one.
   */
  private boolean closingAll;

  /**
   * Set while a caller-driven owner settles closes or the runtime's close, whose own waits end here
   * again.
   */
  private boolean settling;

  /** What closed sockets moved, kept for {@link #stats()}; written under this runtime's monitor. */
  private StreamStats closedStreams = StreamStats.ZERO;

  private ServerStats closedServers = ServerStats.ZERO;

  /** Checks whether a caller-driven runtime's owner has ended without closing it. */
  private volatile io.netty.util.concurrent.ScheduledFuture<?> orphanWatch;

  private IpcRuntime(
      TransportProvider transport,
      EventLoopGroup group,
      boolean ownsGroup,
      int inboundBufferLimit,
      int outboundBufferLimit,
      Consumer<ChannelPipeline> pipeline,
      int connectTimeoutMillis) {
    this.transport = transport;
    this.group = group;
    this.loop = group instanceof CallerDrivenLoop ? (CallerDrivenLoop) group : null;
    this.ownsGroup = ownsGroup;
    this.inboundBufferLimit = inboundBufferLimit;
    this.outboundBufferLimit = outboundBufferLimit;
    this.pipeline = pipeline;
    this.connectTimeoutMillis = connectTimeoutMillis;
  }

  /** A runtime with its own event loop group of daemon threads. */
  public static IpcRuntime create(
      TransportProvider transport,
      int ioThreads,
      int inboundBufferLimit,
      int outboundBufferLimit,
      Consumer<ChannelPipeline> pipeline,
      int connectTimeoutMillis) {
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            ioThreads,
            new DefaultThreadFactory("bbipc-" + transport.name(), true),
            transport.ioHandlerFactory());
    return new IpcRuntime(
        transport,
        group,
        true,
        inboundBufferLimit,
        outboundBufferLimit,
        pipeline,
        connectTimeoutMillis);
  }

  /** A runtime on an application's group, which {@link #close()} leaves running. */
  public static IpcRuntime borrow(
      TransportProvider transport,
      EventLoopGroup group,
      int inboundBufferLimit,
      int outboundBufferLimit,
      Consumer<ChannelPipeline> pipeline,
      int connectTimeoutMillis) {
    return new IpcRuntime(
        transport,
        group,
        false,
        inboundBufferLimit,
        outboundBufferLimit,
        pipeline,
        connectTimeoutMillis);
  }

  /**
   * A runtime with no thread: the calling thread owns it and runs its I/O inside its own calls.
   *
   * @param busyPollNanos how long a waiting owner polls without blocking before it blocks
   */
  public static IpcRuntime createCallerDriven(
      TransportProvider transport,
      long busyPollNanos,
      int inboundBufferLimit,
      int outboundBufferLimit,
      Consumer<ChannelPipeline> pipeline,
      int connectTimeoutMillis) {
    CallerDrivenLoop loop =
        new CallerDrivenLoop(
            transport.callerDrivenIoHandlerFactory(),
            transport.submitsOnlyWhenRun(),
            busyPollNanos);
    IpcRuntime runtime =
        new IpcRuntime(
            transport,
            loop,
            true,
            inboundBufferLimit,
            outboundBufferLimit,
            pipeline,
            connectTimeoutMillis);
    loop.afterWait(runtime::settleIfDue);
    runtime.orphanWatch =
        io.netty.util.concurrent.GlobalEventExecutor.INSTANCE.scheduleAtFixedRate(
            runtime::closeIfOrphaned,
            ORPHAN_CHECK_MILLIS,
            ORPHAN_CHECK_MILLIS,
            TimeUnit.MILLISECONDS);
    return runtime;
  }

  public boolean isCallerDriven() {
    return loop != null;
  }

  /** The owner of a caller-driven runtime, or null. */
  public Thread owner() {
    return loop == null ? null : loop.owner();
  }

  /** The caller-driven loop, or null. */
  CallerDrivenLoop loop() {
    return loop;
  }

  /**
   * Where every call that uses this runtime's sockets or pollers begins: a caller-driven runtime
   * checks that its owner calls, and runs what other threads queued for it (a close).
   *
   * @param what the object called, named in the owner error
   */
  void enter(Object what) {
    CallerDrivenLoop l = loop;
    if (l == null) {
      return;
    }
    l.checkOwner(what);
    if (l.isRunning()) {
      return;
    }
    // whatever other threads closed in any runtime this thread owns is finished first
    CallerDrivenLoop.finishCloses();
    if (closed.get()) {
      settleIfDue();
    } else {
      l.enter();
    }
  }

  /**
   * Owner of a caller-driven runtime, outside a run: takes in what the kernel holds now.
   *
   * @return how much work was done; 0 for none, or for a runtime with threads
   */
  int runNow() {
    CallerDrivenLoop l = loop;
    return l != null && l.mayRun() ? l.runNowWithOthers() : 0;
  }

  /**
   * Owner, after a write: hands queued writes to the kernel where the transport waits for a run.
   */
  void submitWrites() {
    CallerDrivenLoop l = loop;
    if (l != null) {
      l.submitWrites();
    }
  }

  /**
   * Waits for a future of this runtime's channels, not letting an interrupt cut the wait short; a
   * caller-driven owner runs the loop meanwhile, since nothing else would.
   *
   * @return whether it completed in time
   */
  boolean awaitDone(io.netty.util.concurrent.Future<?> f, long millis) {
    if (loop == null || !loop.inEventLoop()) {
      return f.awaitUninterruptibly(millis, TimeUnit.MILLISECONDS);
    }
    boolean interrupted = Thread.interrupted();
    try {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
      while (!f.isDone()) {
        if (System.nanoTime() - deadline >= 0) {
          return false;
        }
        loop.await(deadline, f::isDone);
      }
      return true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Called after a socket's {@code closeOnce}: a caller-driven owner closes its descriptor before
   * {@code close()} returns, letting a stream deliver what was written for a bounded time first.
   * Inside a run the owner cannot wait, so that happens as soon as the run ends, still within the
   * owner's call; another thread leaves it to the owner's next call into any runtime it owns.
   */
  void settleClose(AbstractSocket socket) {
    CallerDrivenLoop l = loop;
    if (l == null) {
      return;
    }
    ChannelFuture done = socket.channelCloseFuture();
    if (done == null) {
      return;
    }
    if (closingAll || !l.mayRun()) {
      addUnsettled(socket, done);
      if (!l.inEventLoop()) {
        l.markCloseToFinish();
      } else if (l.isRunning()) {
        closedInRun.add(done);
      }
      return;
    }
    if (!awaitDone(done, CLOSE_FLUSH_MILLIS)) {
      done.channel().close();
      awaitDone(done, CLOSE_FLUSH_MILLIS);
    }
    // NIO closes a registered socket at the selector's next select
    l.runNow();
  }

  public String transportName() {
    return transport.name();
  }

  public TransportProvider transport() {
    return transport;
  }

  public EventLoopGroup eventLoopGroup() {
    return group;
  }

  /** How long a waiting user thread spins before it parks; 0 parks at once. */
  long spinNanos() {
    return spinNanos;
  }

  public void spinNanos(long nanos) {
    this.spinNanos = nanos;
  }

  /** Whether the streams this runtime connects allow half-closure. */
  boolean halfClosure() {
    return halfClosure;
  }

  public void halfClosure(boolean allow) {
    this.halfClosure = allow;
  }

  int inboundBufferLimit() {
    return inboundBufferLimit;
  }

  int outboundBufferLimit() {
    return outboundBufferLimit;
  }

  /** The application's handlers, added to every stream channel this runtime makes or accepts. */
  Consumer<ChannelPipeline> pipeline() {
    return pipeline;
  }

  int connectTimeoutMillis() {
    return connectTimeoutMillis;
  }

  // ---------------------------------------------------------------- pollers and lifecycle

  public Poller makePoller() throws IpcException {
    enter(this);
    checkOpen();
    RealPoller poller = new RealPoller(this);
    pollers.add(poller);
    return poller;
  }

  void forgetPoller(RealPoller poller) {
    pollers.remove(poller);
  }

  /** Called when a socket is handed to the user, so that {@link #close()} closes it. */
  void track(AbstractSocket socket) {
    sockets.add(socket);
    if (closed.get()) {
      socket.close();
    }
  }

  void forget(AbstractSocket socket) {
    // Under the monitor stats() sums under: a socket leaves the open ones and joins the closed sums
    // in one step, so no snapshot misses it (which made the sums fall back for a moment).
    synchronized (this) {
      if (sockets.remove(socket)) {
        // what a closed socket moved stays in the runtime's sums; what it held does not, except
        // that what a stream still had to send counts as sent: its close goes on sending it
        if (socket instanceof RealStream) {
          StreamStats s = ((RealStream) socket).stats();
          closedStreams =
              closedStreams.plus(
                  new StreamStats(
                      s.bytesRead(),
                      s.bytesReceived(),
                      s.bytesWritten(),
                      s.bytesSent() + s.outboundBuffered(),
                      0,
                      0,
                      s.readPauses(),
                      s.readPaused(),
                      s.shortWrites()));
        } else if (socket instanceof RealServer) {
          ServerStats s = ((RealServer<?>) socket).stats();
          closedServers = closedServers.plus(new ServerStats(s.accepted(), 0, s.refused()));
        }
      }
    }
  }

  /** Sums over every socket handed out: the open ones now, and what closed ones moved. */
  public synchronized IpcStats stats() {
    StreamStats streams = closedStreams;
    ServerStats servers = closedServers;
    int openStreams = 0;
    int openServers = 0;
    for (AbstractSocket socket : sockets) {
      if (socket instanceof RealStream) {
        streams = streams.plus(((RealStream) socket).stats());
        openStreams++;
      } else if (socket instanceof RealServer) {
        servers = servers.plus(((RealServer<?>) socket).stats());
        openServers++;
      }
    }
    return new IpcStats(openStreams, openServers, streams, servers);
  }

  public boolean isClosed() {
    return closed.get();
  }

  /** Closes every socket and poller, then the event loop group if this runtime made it. */
  public void close() {
    if (loop != null) {
      closeCallerDriven();
      return;
    }
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<ChannelFuture> closing = new ArrayList<>();
    for (AbstractSocket socket : sockets) {
      if (socket instanceof RealStream) {
        closing.add(socket.channelCloseFuture());
      }
      socket.close();
    }
    for (RealPoller poller : pollers) {
      poller.close();
    }
    if (Waiter.onEventLoop()) {
      // waiting here could wait for this very thread: stop without waiting
      if (ownsGroup) {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
      }
      return;
    }
    // Streams flush what was written before they close; a borrowed group's owner may shut it
    // down as soon as this returns, so wait for that here too (bounded: a peer may not read).
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_FLUSH_MILLIS);
    for (ChannelFuture f : closing) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        f.awaitUninterruptibly(left, TimeUnit.NANOSECONDS);
      }
    }
    if (ownsGroup) {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Any thread marks everything closed at once; the owner then lets the streams deliver what was
   * written (bounded) and stops the loop, releasing every descriptor: at once outside a run, as
   * soon as the run ends inside one (a close is not a wait, so a callback may close). Another
   * thread leaves that to the owner's next call into any runtime it owns.
   */
  private void closeCallerDriven() {
    if (closed.compareAndSet(false, true)) {
      boolean owner = loop.mayRun();
      closingAll = owner;
      try {
        for (AbstractSocket socket : sockets) {
          socket.close();
        }
        for (RealPoller poller : pollers) {
          poller.close();
        }
      } finally {
        closingAll = false;
      }
      if (!loop.inEventLoop()) {
        loop.markCloseToFinish();
        return;
      }
    }
    settleIfDue();
  }

  private void addUnsettled(AbstractSocket socket, ChannelFuture done) {
    unsettled.put(socket, done);
    if (unsettled.size() > pruneUnsettledAt) {
      unsettled.values().removeIf(ChannelFuture::isDone);
      pruneUnsettledAt = Math.max(64, 2 * unsettled.size());
    }
  }

  /**
   * The owner, outside a run (its loop runs this after every run, and {@link #enter} before a
   * call): finishes what closes left to it, if anything.
   */
  private void settleIfDue() {
    if (loop.mayRun()
        && !settling
        && (closed.get() || !closedInRun.isEmpty())
        && !loop.isTerminated()) {
      settle();
    }
  }

  /**
   * Owner: waits (bounded) for the sockets it closed inside a run to deliver what was written and
   * close, forcing those that do not; once the runtime is closed, stops the loop.
   */
  private void settle() {
    settling = true;
    try {
      // a callback run while waiting may close more, or the runtime
      while (!loop.isTerminated()) {
        if (closed.get()) {
          stopNow();
          return;
        }
        if (closedInRun.isEmpty()) {
          return;
        }
        List<ChannelFuture> batch = new ArrayList<>(closedInRun);
        closedInRun.clear();
        awaitClosed(batch, true);
      }
    } finally {
      settling = false;
    }
  }

  /**
   * Owner: waits at most {@link #CLOSE_FLUSH_MILLIS} in all for the channels to close; with {@code
   * force}, then closes those that have not, bytes still queued or not.
   */
  private void awaitClosed(List<ChannelFuture> futures, boolean force) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_FLUSH_MILLIS);
    for (ChannelFuture f : futures) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      awaitDone(f, TimeUnit.NANOSECONDS.toMillis(left));
    }
    if (!force) {
      return;
    }
    for (ChannelFuture f : futures) {
      if (!f.isDone()) {
        f.channel().close();
        awaitDone(f, CLOSE_FLUSH_MILLIS);
      }
    }
    // NIO closes a registered socket at the selector's next select
    loop.runNow();
  }

  /** Owner: lets the closing sockets deliver and close (bounded), then stops the loop. */
  private void stopNow() {
    io.netty.util.concurrent.ScheduledFuture<?> watch = orphanWatch;
    if (watch != null) {
      watch.cancel(false);
    }
    awaitClosed(new ArrayList<>(unsettled.values()), false);
    unsettled.clear();
    closedInRun.clear();
    loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    loop.runNow();
  }

  /**
   * Runs once a second for a caller-driven runtime: once its owner has ended without closing it, a
   * short-lived thread takes the loop over and closes it, so no descriptor is left behind.
   */
  private void closeIfOrphaned() {
    if (loop.isTerminated()) {
      orphanWatch.cancel(false);
      return;
    }
    if (loop.owner().isAlive()) {
      return;
    }
    orphanWatch.cancel(false);
    Thread closer =
        new Thread(
            () -> {
              if (!transport.loopRunsOnAnyThread()) {
                abandon();
              } else if (loop.takeOverFromDeadOwner()) {
                if (closed.get()) {
                  settle();
                } else {
                  close();
                }
              }
            },
            "bbipc-orphan-closer");
    closer.setDaemon(true);
    closer.start();
  }

  /**
   * The orphan of an owner whose loop no other thread can run (io_uring): its descriptors stay
   * until the JVM exits, but its sockets are marked closed and the futures still pending on them
   * fail with an {@code IpcException}, so that no thread waits on them for ever.
   */
  private void abandon() {
    loop.abandon();
    closed.set(true);
    List<AbstractSocket> all = new ArrayList<>(sockets);
    for (AbstractSocket socket : all) {
      socket.close();
    }
    for (RealPoller poller : pollers) {
      poller.close();
    }
    // and those closed before the owner ended, whose futures its next call would have failed
    all.addAll(unsettled.keySet());
    unsettled.clear();
    for (AbstractSocket socket : all) {
      if (socket instanceof RealStream) {
        ((RealStream) socket).failPendingFutures();
      }
    }
    loop.closeFinished();
  }

  void checkOpen() throws IpcException {
    if (closed.get()) {
      throw new IpcException("this bbipc runtime (" + transport.name() + ") is closed", null);
    }
  }

  void checkHalfClosurePossible(String what, boolean halfClosure) throws IpcException {
    if (halfClosure && !transport.localHalfClosure()) {
      throw new IpcException(
          "cannot "
              + what
              + " with half-closure: transport "
              + transport.name()
              + " closes a local stream at its peer's end-of-stream (Netty honours ALLOW_HALF_CLOSURE"
              + " only on its TCP channels there); use epoll, io_uring, kqueue or nio, whose local"
              + " channels stay open, or TCP",
          null);
    }
  }
}
