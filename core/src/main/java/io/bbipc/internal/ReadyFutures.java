package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.SocketEvent;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The outstanding {@code whenReady} futures of one stream. Adding and cancelling cost O(1); the
 * event loop checks them in batches of at most {@link #BATCH}, one task per batch, so a socket with
 * a hundred thousand futures never holds up the loop's other sockets for long.
 */
final class ReadyFutures {
  /** The most futures one event loop task looks at. */
  static final int BATCH = 1024;

  private final RealStream stream;

  /** Every entry not yet dropped; done ones are dropped when a batch reaches them. */
  private final ConcurrentLinkedQueue<Entry> queue = new ConcurrentLinkedQueue<>();

  /** Entries in the queue, done or not: what a batch round has to get through. */
  private final AtomicInteger queued = new AtomicInteger();

  /** Entries whose future is not done yet. */
  private final AtomicInteger live = new AtomicInteger();

  /** Entries cancelled while queued; past half the queue they are swept out at once. */
  private final AtomicInteger cancelled = new AtomicInteger();

  private final AtomicBoolean scheduled = new AtomicBoolean();

  /** Set by every state change: each one gives every entry a look. */
  private final AtomicBoolean changed = new AtomicBoolean();

  /** Set when enough entries were cancelled to be worth sweeping out. */
  private volatile boolean sweepWanted;

  /** Entries still to look at in this round; event loop only. */
  private int roundLeft;

  /** True while a batch runs; a change it causes is checked by a task, not by a nested batch. */
  private boolean inBatch;

  ReadyFutures(RealStream stream) {
    this.stream = stream;
  }

  private static final class Entry {
    final int mask;
    final CompletableFuture<Set<SocketEvent>> future;

    Entry(int mask, CompletableFuture<Set<SocketEvent>> future) {
      this.mask = mask;
      this.future = future;
    }
  }

  /** A future for the first of {@code mask}'s events; its first check runs on the event loop. */
  CompletableFuture<Set<SocketEvent>> add(int mask) {
    CallerDrivenLoop loop = stream.runtime.loop();
    Entry e =
        new Entry(mask, loop == null ? new CompletableFuture<>() : new OwnerDrivenFuture<>(loop));
    live.incrementAndGet();
    queued.incrementAndGet();
    queue.add(e);
    e.future.whenComplete(
        (r, t) -> {
          live.decrementAndGet();
          if (e.future.isCancelled()
              && cancelled.incrementAndGet() > Math.max(64, queued.get() / 2)) {
            sweepWanted = true;
            schedule();
          }
        });
    // checked by a task, never inline: a chain of whenReady calls whose events already hold would
    // otherwise recurse once per call
    changed.set(true);
    schedule();
    return e.future;
  }

  /**
   * Event loop: removes cancelled entries; runs once per half a queue of cancellations, so O(1)
   * amortised. Only the loop takes entries out of the queue, so the count stays exact.
   */
  private void sweep() {
    sweepWanted = false;
    cancelled.set(0);
    queue.removeIf(
        e -> {
          if (e.future.isDone()) {
            queued.decrementAndGet();
            return true;
          }
          return false;
        });
  }

  /** Futures not yet completed or cancelled. */
  int live() {
    return live.get();
  }

  /**
   * The stream's state may have changed: checks the futures on the event loop, at once when the
   * change happened there (outside a batch). io_uring sends what a continuation writes during its
   * completion processing in the same turn, but what a task writes only in the next one: a check
   * deferred to a task cost the async ping-pong 2-3 µs a round trip on io_uring.
   */
  void signal() {
    if (live.get() > 0) {
      changed.set(true);
      if (!inBatch && insideLoop() && scheduled.compareAndSet(false, true)) {
        runBatch();
      } else {
        schedule();
      }
    }
  }

  /**
   * Whether this thread runs the stream's loop now: its event loop thread, or a caller-driven owner
   * inside a run (its continuations may not wait, which only a run enforces).
   */
  private boolean insideLoop() {
    CallerDrivenLoop loop = stream.runtime.loop();
    return loop == null ? stream.channel.eventLoop().inEventLoop() : loop.isRunning();
  }

  private void schedule() {
    scheduleOn(false);
  }

  /**
   * Runs a batch on the event loop. A follow-on batch is scheduled rather than executed: Netty runs
   * every queued task before it next looks at its sockets, so batches queued one after the other
   * would still hold up the loop's other sockets; a scheduled task waits for the next turn.
   */
  private void scheduleOn(boolean nextTurn) {
    if (!scheduled.compareAndSet(false, true)) {
      return;
    }
    try {
      if (nextTurn) {
        stream.channel.eventLoop().schedule(this::runBatch, 0, TimeUnit.NANOSECONDS);
      } else {
        stream.channel.eventLoop().execute(this::runBatch);
      }
    } catch (RejectedExecutionException loopGone) {
      // the loop has stopped, so nothing will ever change: fail them here rather than never
      scheduled.set(false);
      failAll();
    }
  }

  private void runBatch() {
    inBatch = true;
    try {
      runBatchNow();
    } finally {
      inBatch = false;
    }
  }

  private void runBatchNow() {
    scheduled.set(false);
    if (sweepWanted) {
      sweep();
    }
    if (changed.getAndSet(false)) {
      roundLeft = queued.get();
    }
    boolean closed = stream.isClosed();
    int events = stream.currentEvents();
    int budget = Math.min(BATCH, roundLeft);
    roundLeft -= budget;
    for (int i = 0; i < budget; i++) {
      Entry e = queue.poll();
      if (e == null) {
        roundLeft = 0;
        break;
      }
      int ready = events & e.mask;
      if (e.future.isDone()) {
        queued.decrementAndGet();
      } else if (closed) {
        queued.decrementAndGet();
        e.future.completeExceptionally(new IpcException(stream + " is closed", stream));
      } else if (ready != 0) {
        queued.decrementAndGet();
        e.future.complete(Events.toSet(ready));
      } else {
        queue.add(e);
      }
    }
    if (roundLeft > 0 && live.get() > 0) {
      // the rest of this round runs in a later turn of the loop, after its other sockets
      scheduleOn(true);
    }
  }

  /** Fails every outstanding future: the stream's event loop is gone. */
  void failAll() {
    Entry e;
    while ((e = queue.poll()) != null) {
      queued.decrementAndGet();
      e.future.completeExceptionally(
          new IpcException(stream + ": its event loop has shut down", stream));
    }
  }
}
