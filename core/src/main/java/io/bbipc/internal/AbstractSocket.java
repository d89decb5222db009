package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.IpcSocket;
import io.bbipc.SocketEvent;
import io.bbipc.Timeout;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What servers and streams share: the user's close flag, the listeners woken on every state change,
 * and {@code poll}.
 *
 * <p>State is written on the event loop and read anywhere; each subclass keeps it in volatile
 * fields so that {@link #currentEvents()} sees a whole state.
 */
abstract class AbstractSocket implements IpcSocket {
  private static final Listener[] NO_LISTENERS = new Listener[0];

  final IpcRuntime runtime;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Copy-on-write, so the event loop walks it without a lock. */
  private volatile Listener[] listeners = NO_LISTENERS;

  AbstractSocket(IpcRuntime runtime) {
    this.runtime = runtime;
  }

  /** The events this kind of socket may report, as a mask. */
  abstract int supportedMask();

  /** The events that hold now, as a mask; 0 once closed. */
  abstract int currentEvents();

  /** Releases the socket's resources; called once, by the first {@link #close()}. */
  abstract void closeOnce();

  @Override
  public final boolean isClosed() {
    return closed.get();
  }

  @Override
  public final Set<SocketEvent> supportedEvents() {
    return Events.toSet(supportedMask());
  }

  /** The future of the socket's channel closing, or null if it has no channel. */
  abstract io.netty.channel.ChannelFuture channelCloseFuture();

  @Override
  public final void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        closeOnce();
      } finally {
        runtime.forget(this);
        stateChanged();
        runtime.settleClose(this);
      }
    }
  }

  @Override
  public final Set<SocketEvent> poll(Set<SocketEvent> events, Timeout timeout) throws IpcException {
    int mask = Events.toMask(events, supportedMask(), this);
    return Events.toSet(pollMask(mask, Objects.requireNonNull(timeout, "timeout")));
  }

  @Override
  public final boolean poll(SocketEvent event, Timeout timeout) throws IpcException {
    int mask = Events.toMask(event, supportedMask(), this);
    return pollMask(mask, Objects.requireNonNull(timeout, "timeout")) != 0;
  }

  private int pollMask(int mask, Timeout timeout) throws IpcException {
    runtime.enter(this);
    checkOpen();
    int ready = currentEvents() & mask;
    if (ready == 0 && runtime.isCallerDriven()) {
      return pollCallerDriven(mask, timeout);
    }
    if (ready != 0 || timeout.toNanos() == 0 || Thread.currentThread().isInterrupted()) {
      return ready;
    }
    Waiter.checkMayBlock("poll");
    long deadline = Waiter.deadline(timeout.toNanos());
    Waiter waiter = new Waiter(runtime.spinNanos());
    addListener(waiter);
    try {
      while (true) {
        ready = currentEvents() & mask;
        if (ready != 0) {
          return ready;
        }
        checkOpen();
        if (Thread.currentThread().isInterrupted()) {
          return 0;
        }
        if (!waiter.await(deadline)) {
          checkOpen();
          return currentEvents() & mask;
        }
      }
    } finally {
      removeListener(waiter);
    }
  }

  /**
   * The owner of a caller-driven runtime waits in the transport's own wait: only its own calls
   * change the socket's state, and a close from another thread wakes it.
   */
  private int pollCallerDriven(int mask, Timeout timeout) throws IpcException {
    if (timeout.toNanos() == 0 || Thread.currentThread().isInterrupted()) {
      runtime.runNow();
      checkOpen();
      return currentEvents() & mask;
    }
    // no non-blocking look first: the blocking wait returns at once if the kernel has something
    Waiter.checkMayBlock("poll");
    long deadline = Waiter.deadline(timeout.toNanos());
    CallerDrivenLoop loop = runtime.loop();
    while (true) {
      int ready = currentEvents() & mask;
      if (ready != 0) {
        return ready;
      }
      checkOpen();
      if (Thread.currentThread().isInterrupted()) {
        return 0;
      }
      if (deadline != Long.MAX_VALUE && System.nanoTime() - deadline >= 0) {
        return 0;
      }
      loop.await(deadline, () -> isClosed() || (currentEvents() & mask) != 0);
    }
  }

  /** Whether an event holds; a caller-driven owner first takes in what the kernel has if not. */
  final boolean holds(int event) {
    runtime.enter(this);
    if ((currentEvents() & event) != 0) {
      return true;
    }
    return runtime.runNow() > 0 && (currentEvents() & event) != 0;
  }

  final void checkOpen() throws IpcException {
    if (closed.get()) {
      throw new IpcException(this + " is closed", this);
    }
  }

  final void addListener(Listener listener) {
    synchronized (this) {
      Listener[] old = listeners;
      Listener[] grown = Arrays.copyOf(old, old.length + 1);
      grown[old.length] = listener;
      listeners = grown;
    }
  }

  final void removeListener(Listener listener) {
    synchronized (this) {
      Listener[] old = listeners;
      for (int i = 0; i < old.length; i++) {
        if (old[i] == listener) {
          Listener[] shrunk = new Listener[old.length - 1];
          System.arraycopy(old, 0, shrunk, 0, i);
          System.arraycopy(old, i + 1, shrunk, i, old.length - i - 1);
          listeners = old.length == 1 ? NO_LISTENERS : shrunk;
          return;
        }
      }
    }
  }

  /** Tells every listener that the state may have changed; listeners that are done drop out. */
  final void stateChanged() {
    for (Listener listener : listeners) {
      if (!listener.stateChanged(this)) {
        removeListener(listener);
      }
    }
    afterStateChanged();
  }

  /** Runs after the listeners were told of a change; streams check their whenReady futures. */
  void afterStateChanged() {}

  /** The number of whenReady futures not yet completed; none for a server. */
  int asyncListenerCount() {
    return 0;
  }

  /** The number of listeners now registered, for tests that check nothing is left behind. */
  final int listenerCount() {
    return listeners.length + asyncListenerCount();
  }
}
