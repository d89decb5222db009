package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.IpcSocket;
import io.bbipc.PollResult;
import io.bbipc.Poller;
import io.bbipc.SocketEvent;
import io.bbipc.Timeout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A poller whose sockets put themselves on its ready queue when their state changes, so one {@link
 * #waitForEvents} looks only at sockets that changed or were ready last time.
 */
final class RealPoller implements Poller {
  private final IpcRuntime runtime;
  private final Map<IpcSocket, Registration> registrations = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Registration> ready = new ConcurrentLinkedQueue<>();
  private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * How many monitored sockets their users have closed. A waiting thread that sees it change
   * returns even when nothing is ready: the closed socket was one of those it waited on.
   */
  private final AtomicLong closes = new AtomicLong();

  /**
   * The caller-driven runtimes of the sockets monitored now, with how many each has here: a wait
   * runs their loops (and the poller's own runtime's), which the waiting thread must own. A runtime
   * drops out with its last socket, unmonitored or closed, so the poller serves other threads
   * again.
   */
  private final Map<IpcRuntime, Integer> callerDriven = new ConcurrentHashMap<>();

  RealPoller(IpcRuntime runtime) {
    this.runtime = runtime;
  }

  /** One monitored socket; its listener queues it when the socket's state changes. */
  private final class Registration implements Listener {
    final AbstractSocket socket;
    volatile int mask;
    volatile boolean active = true;

    /** True while on the ready queue, so a busy socket is queued once, not once per change. */
    final AtomicBoolean queued = new AtomicBoolean();

    /** True once this socket's close has been counted in {@link #closes}. */
    final AtomicBoolean closeCounted = new AtomicBoolean();

    /** True while this registration counts for its runtime in {@link #callerDriven}. */
    final AtomicBoolean countsForRuntime = new AtomicBoolean();

    Registration(AbstractSocket socket, int mask) {
      this.socket = socket;
      this.mask = mask;
      if (socket.runtime.isCallerDriven()) {
        countsForRuntime.set(true);
        callerDriven.merge(socket.runtime, 1, Integer::sum);
      }
    }

    /** The socket is no longer monitored here, or closed: its runtime may drop out. */
    void release() {
      if (countsForRuntime.compareAndSet(true, false)) {
        callerDriven.computeIfPresent(socket.runtime, (r, n) -> n == 1 ? null : n - 1);
      }
    }

    @Override
    public boolean stateChanged(AbstractSocket s) {
      if (!active) {
        return false;
      }
      if (s.isClosed()) {
        release();
      }
      boolean wake = false;
      if (queued.compareAndSet(false, true)) {
        ready.add(this);
        wake = true;
      }
      // Counted after queueing, so a waiter that sees the count finds the socket to drop; and
      // woken even when already queued, since the queued change may not have woken anyone.
      if (s.isClosed() && closeCounted.compareAndSet(false, true)) {
        closes.incrementAndGet();
        wake = true;
      }
      if (wake) {
        for (Waiter w : waiters) {
          w.stateChanged(s);
        }
      }
      return true;
    }
  }

  /** Where a call about one of the poller's sockets begins: both must be usable here, and open. */
  private void enterWith(AbstractSocket s) throws IpcException {
    runtime.enter(this);
    s.runtime.enter(s);
    checkOpen();
    s.checkOpen();
  }

  @Override
  public void monitorSocket(IpcSocket socket, Set<SocketEvent> events) throws IpcException {
    AbstractSocket s = Polling.own(socket);
    int mask = Events.toMask(events, s.supportedMask(), s);
    enterWith(s);
    Registration fresh = new Registration(s, mask);
    Registration old = registrations.put(s, fresh);
    if (old != null) {
      old.active = false;
      s.removeListener(old);
      old.release();
    }
    s.addListener(fresh);
    fresh.stateChanged(s);
  }

  @Override
  public void unmonitorSocket(IpcSocket socket) {
    Objects.requireNonNull(socket, "socket");
    runtime.enter(this);
    Registration r = registrations.remove(socket);
    if (r != null) {
      r.active = false;
      r.socket.removeListener(r);
      r.release();
    }
  }

  @Override
  public boolean isMonitored(IpcSocket socket) {
    Objects.requireNonNull(socket, "socket");
    runtime.enter(this);
    Registration r = registrations.get(socket);
    return r != null && !r.socket.isClosed();
  }

  @Override
  public Set<SocketEvent> monitoredEvents(IpcSocket socket) {
    Objects.requireNonNull(socket, "socket");
    runtime.enter(this);
    Registration r = registrations.get(socket);
    return r == null || r.socket.isClosed() ? Events.toSet(0) : Events.toSet(r.mask);
  }

  @Override
  public void setMonitoredEvents(IpcSocket socket, Set<SocketEvent> events) throws IpcException {
    AbstractSocket s = Polling.own(socket);
    int mask = Events.toMask(events, s.supportedMask(), s);
    enterWith(s);
    Registration r = registrations.get(s);
    if (r == null) {
      throw new IpcException(s + " is not monitored by this poller", s);
    }
    r.mask = mask;
    r.stateChanged(s);
  }

  @Override
  public Set<IpcSocket> monitoredSockets() {
    runtime.enter(this);
    Set<IpcSocket> sockets = new HashSet<>();
    for (Registration r : registrations.values()) {
      if (!r.socket.isClosed()) {
        sockets.add(r.socket);
      }
    }
    return Collections.unmodifiableSet(sockets);
  }

  @Override
  public List<PollResult> waitForEvents(Timeout timeout) throws IpcException {
    Objects.requireNonNull(timeout, "timeout");
    List<IpcRuntime> runtimes = new ArrayList<>(1 + callerDriven.size());
    runtimes.add(runtime);
    runtimes.addAll(callerDriven.keySet());
    CallerDrivenLoop[] loops = Waiter.loopsOf(runtimes, this);
    checkOpen();
    // read before the first look: a socket closed from here on ends the wait (behaviour 10);
    // one closed before is only dropped
    long closesBefore = closes.get();
    // a socket that is always ready must not hide what the kernel holds for the others
    Waiter.runNow(loops);
    List<PollResult> results = collect();
    if (!results.isEmpty() || timeout.toNanos() == 0 || Thread.currentThread().isInterrupted()) {
      return results;
    }
    Waiter.checkMayBlock("waitForEvents");
    long deadline = Waiter.deadline(timeout.toNanos());
    Waiter waiter = new Waiter(runtime.spinNanos(), loops);
    waiters.add(waiter);
    try {
      while (true) {
        results = collect();
        if (!results.isEmpty()) {
          return results;
        }
        if (closes.get() != closesBefore) {
          // one more look, so the closed socket is dropped and what else is ready is reported
          return collect();
        }
        checkOpen();
        if (Thread.currentThread().isInterrupted()) {
          return results;
        }
        if (!waiter.await(deadline)) {
          checkOpen();
          return collect();
        }
      }
    } finally {
      waiters.remove(waiter);
    }
  }

  /** Looks at the queued sockets only; those still ready go back on the queue for next time. */
  private synchronized List<PollResult> collect() {
    List<Registration> batch = new ArrayList<>();
    Registration r;
    while ((r = ready.poll()) != null) {
      batch.add(r);
    }
    List<PollResult> results = new ArrayList<>();
    for (Registration reg : batch) {
      // cleared before the look, so a change from now on queues it again
      reg.queued.set(false);
      if (!reg.active) {
        continue;
      }
      if (reg.socket.isClosed()) {
        registrations.remove(reg.socket, reg);
        reg.active = false;
        reg.socket.removeListener(reg);
        reg.release();
        // A close can be seen here between its closed flag and its listeners' turn, which then
        // find this registration inactive: count it here, or a thread waiting on it would park
        // for good (CI saw waitForEvents(INDEFINITE) stay parked after the last socket closed).
        if (reg.closeCounted.compareAndSet(false, true)) {
          closes.incrementAndGet();
          for (Waiter w : waiters) {
            w.stateChanged(reg.socket);
          }
        }
        continue;
      }
      int events = reg.socket.currentEvents() & reg.mask;
      if (events != 0) {
        results.add(new PollResult(reg.socket, Events.toSet(events)));
        if (reg.queued.compareAndSet(false, true)) {
          ready.add(reg);
        }
      }
    }
    return results;
  }

  private void checkOpen() throws IpcException {
    if (closed.get()) {
      throw new IpcException("the poller is closed", null);
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Registration r : registrations.values()) {
      r.active = false;
      r.socket.removeListener(r);
      r.release();
    }
    registrations.clear();
    ready.clear();
    for (Waiter w : waiters) {
      w.stateChanged(null);
    }
    runtime.forgetPoller(this);
  }

  @Override
  public boolean isClosed() {
    return closed.get();
  }

  @Override
  public String toString() {
    return "Poller[" + registrations.size() + " monitored" + (closed.get() ? ", closed]" : "]");
  }
}
