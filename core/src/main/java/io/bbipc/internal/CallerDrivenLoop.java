package io.bbipc.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.internal.ThreadExecutorMap;
import java.io.IOException;
import java.nio.channels.spi.AbstractInterruptibleChannel;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * An event loop with no thread of its own: its owner, the thread that made it, runs its I/O and
 * tasks inside its own calls into bbipc, and waits in the transport's own wait.
 *
 * <p>Netty's {@code ManualIoEventLoop} fixes its owner for good; this loop lets a closer take over
 * once the owner has ended without closing, so that the descriptors are still released. Only one
 * thread ever runs it at a time: the owner, or after the owner's death the closer.
 */
final class CallerDrivenLoop extends AbstractScheduledEventExecutor implements IoEventLoop {
  private static final int STARTED = 0;
  private static final int SHUTTING_DOWN = 1;
  private static final int TERMINATED = 2;

  /** How long one loop blocks while its owner has other loops to run too. */
  private static final long SLICE_NANOS = 1_000_000;

  /** What {@link #busyPoll} returns when it ended with nothing done and nothing to stop for. */
  private static final int SPUN_OUT = -1;

  /**
   * The loops each thread owns: a waiting owner runs all of them, so that two caller-driven
   * runtimes on one thread (a client and a server, say) never wait for each other.
   */
  private static final ThreadLocal<java.util.List<CallerDrivenLoop>> OWNED =
      ThreadLocal.withInitial(java.util.ArrayList::new);

  /**
   * How many loops have a close made by another thread that their owner has not finished yet: while
   * there are any, an owner entering bbipc looks for its own among them.
   */
  private static final AtomicInteger CLOSES_TO_FINISH = new AtomicInteger();

  /** How many queued tasks one run takes on at most. */
  private static final int TASK_BUDGET = 4096;

  private final IoHandler handler;

  /** io_uring hands queued submissions to the kernel only when its handler runs. */
  private final boolean submitsOnlyWhenRun;

  private final long busyPollNanos;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final Promise<Void> termination = new DefaultPromise<>(GlobalEventExecutor.INSTANCE);
  private final AtomicInteger state = new AtomicInteger(STARTED);
  private final IoHandlerContext nonBlocking = new Context(false);
  private final IoHandlerContext blocking = new Context(true);
  private volatile Thread owner;

  /** Set by {@link #wakeup()} from another thread; a busy-polling owner stops at it. */
  private volatile boolean wakeRequested;

  /** True while the owner runs the handler or tasks: a nested run would corrupt the handler. */
  private boolean running;

  /** Deadline of the blocking run under way, for the handler's context. */
  private long blockingDeadline;

  /** Wakes a blocked owner when it is interrupted (a native wait does not notice interrupts). */
  private InterruptHook interruptHook;

  /**
   * Runs after every run by the owner, a wait or not, outside a run: what was closed inside the run
   * or by another thread meanwhile is finished (settled, or the loop stopped) before the owner's
   * call returns.
   */
  private Runnable afterWait = () -> {};

  /** Set by another thread's close; the owner's next call into any loop it owns finishes it. */
  private final AtomicBoolean closeToFinish = new AtomicBoolean();

  /** Set once the owner has ended and no other thread may run the loop: tasks are refused. */
  private volatile boolean abandoned;

  CallerDrivenLoop(IoHandlerFactory factory, boolean submitsOnlyWhenRun, long busyPollNanos) {
    this.owner = Thread.currentThread();
    this.submitsOnlyWhenRun = submitsOnlyWhenRun;
    this.busyPollNanos = busyPollNanos;
    this.handler = factory.newHandler(this);
    handler.initialize();
    OWNED.get().add(this);
  }

  Thread owner() {
    return owner;
  }

  void afterWait(Runnable task) {
    this.afterWait = task;
  }

  /** Whether the current thread is the owner and may run the loop now (not from inside a run). */
  boolean mayRun() {
    return owner == Thread.currentThread() && !running;
  }

  /**
   * Whether the current thread is the owner inside a run: a handler or task the loop itself is
   * running. Another thread gets false even while the owner runs (or blocks in) the loop, so that
   * it hands its work to the owner as a task instead of doing it beside the owner's run.
   */
  boolean isRunning() {
    return running && owner == Thread.currentThread();
  }

  /**
   * Throws unless the current thread is the owner.
   *
   * @param what the object called, for the message
   */
  void checkOwner(Object what) {
    Thread t = Thread.currentThread();
    Thread o = owner;
    if (t != o) {
      throw new IllegalStateException(
          what
              + " belongs to a caller-driven runtime owned by thread \""
              + o.getName()
              + "\" (id "
              + o.getId()
              + "); only that thread may use it, and this is \""
              + t.getName()
              + "\" (id "
              + t.getId()
              + ")");
    }
  }

  /**
   * Owner, on entering bbipc: runs what other threads queued (a close, say) before anything else.
   */
  void enter() {
    if (!running && (!tasks.isEmpty() || state.get() != STARTED)) {
      runNow();
    }
  }

  /**
   * Another thread closed something of this loop's runtime: wakes the owner, and has its next call
   * into any loop it owns finish the close, not only a call on this runtime.
   */
  void markCloseToFinish() {
    if (closeToFinish.compareAndSet(false, true)) {
      CLOSES_TO_FINISH.incrementAndGet();
    }
    wakeup();
  }

  /** Owner: the closes other threads made are being finished. */
  void closeFinished() {
    if (closeToFinish.compareAndSet(true, false)) {
      CLOSES_TO_FINISH.decrementAndGet();
    }
  }

  /**
   * Owner, outside a run: runs the closes other threads queued in any loop it owns, and finishes
   * the close of a runtime another thread closed.
   */
  static void finishCloses() {
    if (CLOSES_TO_FINISH.get() == 0) {
      return;
    }
    for (CallerDrivenLoop l : OWNED.get().toArray(new CallerDrivenLoop[0])) {
      if (l.closeToFinish.get() && l.mayRun()) {
        l.closeFinished();
        l.enter();
        l.afterWait.run();
      }
    }
  }

  /**
   * The owner has ended and no other thread can run this loop (io_uring): from now on tasks are
   * refused as by a stopped loop, so that nothing waits for one that never runs.
   */
  void abandon() {
    abandoned = true;
  }

  // ---------------------------------------------------------------- running

  /**
   * Owner: takes in what the kernel holds and runs due tasks, without blocking; 0 means nothing.
   */
  int runNow() {
    if (running) {
      return 0;
    }
    int done = runOnce(nonBlocking);
    if (submitsOnlyWhenRun && done > 0) {
      // what the handlers and tasks just wrote waits in the submission queue until a run
      done += runOnce(nonBlocking);
    }
    afterWait.run();
    return done;
  }

  /**
   * Owner: {@link #runNow()}, and the same for every other loop this thread owns, so that a thread
   * with two caller-driven runtimes (a client and a server) moves both in every call.
   */
  int runNowWithOthers() {
    int done = runNow();
    java.util.List<CallerDrivenLoop> owned = OWNED.get();
    if (owned.size() > 1) {
      for (CallerDrivenLoop other : owned.toArray(new CallerDrivenLoop[0])) {
        if (other != this && other.mayRun()) {
          done += other.runNow();
        }
      }
    }
    return done;
  }

  /** Owner, after writing outside a run: hands what a queueing transport holds to the kernel. */
  void submitWrites() {
    if (submitsOnlyWhenRun && mayRun()) {
      runNow();
    }
  }

  /**
   * Owner: waits once for work, busy-polling first when configured, then blocking in the
   * transport's wait until there is I/O, a task, a wake-up, an interrupt or the deadline.
   *
   * @param deadline a {@link System#nanoTime()} deadline, or {@link Long#MAX_VALUE} for none
   * @param done stops a busy poll early; checked between non-blocking runs
   * @return how much work was done; 0 if the wait ended with nothing
   */
  int await(long deadline, BooleanSupplier done) {
    if (running) {
      throw new IllegalStateException(
          "a wait inside a handler or whenReady continuation that a "
              + "caller-driven runtime is running would stall it; use whenReady or Timeout.IMMEDIATE there");
    }
    Thread me = Thread.currentThread();
    if (busyPollNanos > 0) {
      int n = busyPoll(deadline, done, me);
      if (n != SPUN_OUT) {
        return n;
      }
    }
    if (me.isInterrupted() || done.getAsBoolean() || state.get() != STARTED) {
      return runNow();
    }
    long left = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
    if (left <= 0) {
      return runNow();
    }
    java.util.List<CallerDrivenLoop> owned = OWNED.get();
    if (owned.size() > 1) {
      // while this loop blocks, the owner's other loops are not run: block in slices
      long slice = System.nanoTime() + SLICE_NANOS;
      if (deadline == Long.MAX_VALUE || slice - deadline < 0) {
        deadline = slice;
      }
    }
    int n = block(deadline);
    if (owned.size() > 1) {
      for (CallerDrivenLoop other : owned.toArray(new CallerDrivenLoop[0])) {
        if (other != this && other.mayRun()) {
          n += other.runNow();
          other.afterWait.run();
        }
      }
    }
    afterWait.run();
    return n;
  }

  /**
   * Owner: runs the loop without blocking until it does work, {@code done} holds, a wake-up or an
   * interrupt comes, or the busy poll or the deadline ends.
   *
   * @return how much work the last run did, or {@link #SPUN_OUT} if the busy poll ran out
   */
  private int busyPoll(long deadline, BooleanSupplier done, Thread me) {
    long spinEnd = System.nanoTime() + busyPollNanos;
    while (System.nanoTime() - spinEnd < 0 && System.nanoTime() - deadline < 0) {
      int n = runNow();
      if (n > 0 || done.getAsBoolean() || wakeRequested || me.isInterrupted()) {
        wakeRequested = false;
        return n;
      }
      Thread.onSpinWait();
    }
    return SPUN_OUT;
  }

  /**
   * Owner: one run that may block in the transport's wait until {@code deadline}, a task, a wake-up
   * or an interrupt; a transport that submits only when run is run once more to submit what the
   * first run queued.
   *
   * @return how much work was done
   */
  private int block(long deadline) {
    blockingDeadline = deadline;
    InterruptHook hook = interruptHook;
    if (hook == null || !hook.isOpen()) {
      hook = new InterruptHook();
      interruptHook = hook;
    }
    hook.enter();
    int n;
    try {
      n = runOnce(blocking);
    } finally {
      // NIO wakes for an interrupt by itself; epoll and io_uring only through the hook
      hook.exit();
      wakeRequested = false;
    }
    if (submitsOnlyWhenRun && n > 0) {
      n += runOnce(nonBlocking);
    }
    return n;
  }

  private int runOnce(IoHandlerContext context) {
    running = true;
    EventExecutor old = ThreadExecutorMap.setCurrentExecutor(this);
    try {
      if (state.get() != STARTED) {
        return finishShutdown();
      }
      int n = handler.run(context);
      return n + runTasks();
    } finally {
      ThreadExecutorMap.setCurrentExecutor(old);
      running = false;
    }
  }

  private int runTasks() {
    long now = ticker().nanoTime();
    Runnable task;
    int n = 0;
    while ((task = pollScheduledTask(now)) != null) {
      tasks.add(task);
    }
    // a task that keeps queueing more waits for the next run, so that I/O is never starved
    while (n < TASK_BUDGET && (task = tasks.poll()) != null) {
      safeExecute(task);
      n++;
    }
    return n;
  }

  private int finishShutdown() {
    if (termination.isDone()) {
      return 0;
    }
    cancelScheduledTasks();
    int n = drainTasks();
    handler.prepareToDestroy();
    n += drainTasks();
    try {
      // under the lock that wakeup() takes, so no thread writes to a wake-up descriptor that
      // destroy() has closed (and the kernel may have handed to someone else)
      synchronized (handler) {
        state.set(TERMINATED);
        handler.destroy();
      }
      n += drainTasks();
    } finally {
      state.set(TERMINATED);
      closeFinished();
      termination.trySuccess(null);
      if (owner == Thread.currentThread()) {
        OWNED.get().remove(this);
      }
    }
    return n;
  }

  private int drainTasks() {
    int n = 0;
    Runnable task;
    while ((task = tasks.poll()) != null) {
      safeExecute(task);
      n++;
    }
    return n;
  }

  /**
   * Hands the loop to the current thread once the owner has ended: the only way to release the
   * descriptors of a runtime whose owner never closed it.
   *
   * @return false if the owner is still alive
   */
  boolean takeOverFromDeadOwner() {
    Thread o = owner;
    if (o.isAlive()) {
      return false;
    }
    // Thread termination happens-before isAlive() returning false, so the handler state the
    // owner left is visible here
    owner = Thread.currentThread();
    return true;
  }

  /** Wakes the owner if it waits; from the owner itself it does nothing. */
  void wakeup() {
    if (Thread.currentThread() != owner) {
      wakeRequested = true;
      synchronized (handler) {
        if (state.get() != TERMINATED) {
          handler.wakeup();
        }
      }
    }
  }

  // ---------------------------------------------------------------- EventLoop

  @Override
  public boolean inEventLoop(Thread thread) {
    return thread == owner;
  }

  @Override
  public void execute(Runnable task) {
    Objects.requireNonNull(task, "task");
    if (state.get() == TERMINATED) {
      throw new RejectedExecutionException("the caller-driven event loop has terminated");
    }
    if (abandoned) {
      throw new RejectedExecutionException(
          "the owner of the caller-driven event loop has ended, and no other thread may run it");
    }
    tasks.add(task);
    wakeup();
  }

  @Override
  public CallerDrivenLoop next() {
    return this;
  }

  @Override
  public IoEventLoopGroup parent() {
    return null;
  }

  @Override
  public Future<IoRegistration> register(IoHandle handle) {
    Promise<IoRegistration> promise = newPromise();
    if (inEventLoop()) {
      registerNow(handle, promise);
    } else {
      execute(() -> registerNow(handle, promise));
    }
    return promise;
  }

  private void registerNow(IoHandle handle, Promise<IoRegistration> promise) {
    try {
      promise.setSuccess(handler.register(handle));
    } catch (Exception e) {
      promise.setFailure(e);
    }
  }

  @Deprecated
  @Override
  public ChannelFuture register(Channel channel) {
    return register(new DefaultChannelPromise(channel, this));
  }

  @Deprecated
  @Override
  public ChannelFuture register(ChannelPromise promise) {
    promise.channel().unsafe().register(this, promise);
    return promise;
  }

  @Deprecated
  @Override
  public ChannelFuture register(Channel channel, ChannelPromise promise) {
    channel.unsafe().register(this, promise);
    return promise;
  }

  @Override
  public boolean isCompatible(Class<? extends IoHandle> handleType) {
    return handler.isCompatible(handleType);
  }

  @Override
  public boolean isIoType(Class<? extends IoHandler> handlerType) {
    return handler.getClass().equals(handlerType);
  }

  /** The handler's type, for the transport provider that recognises its own. */
  Class<? extends IoHandler> handlerType() {
    return handler.getClass();
  }

  /** Asks the owner to stop the loop at its next call; quiet period and timeout do not apply. */
  @Override
  public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
    if (state.compareAndSet(STARTED, SHUTTING_DOWN)) {
      wakeup();
    }
    return termination;
  }

  @Deprecated
  @Override
  public void shutdown() {
    shutdownGracefully(0, 0, TimeUnit.SECONDS);
  }

  @Override
  public Future<?> terminationFuture() {
    return termination;
  }

  @Override
  public boolean isShuttingDown() {
    return state.get() != STARTED;
  }

  @Override
  public boolean isShutdown() {
    return state.get() != STARTED;
  }

  @Override
  public boolean isTerminated() {
    return state.get() == TERMINATED;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return termination.await(timeout, unit);
  }

  @Override
  public String toString() {
    return "CallerDrivenLoop["
        + handler.getClass().getSimpleName()
        + ", owner "
        + owner.getName()
        + "]";
  }

  private final class Context implements IoHandlerContext {
    private final boolean mayBlock;

    Context(boolean mayBlock) {
      this.mayBlock = mayBlock;
    }

    @Override
    public boolean canBlock() {
      // an interrupt makes NIO return from select; saying "cannot block" then keeps Netty from
      // clearing the interrupt flag the caller must still see
      return mayBlock
          && tasks.isEmpty()
          && !hasScheduledTasks()
          && !wakeRequested
          && !Thread.currentThread().isInterrupted();
    }

    @Override
    public long delayNanos(long currentTimeNanos) {
      if (!mayBlock) {
        return 0;
      }
      long untilDeadline =
          blockingDeadline == Long.MAX_VALUE
              ? Long.MAX_VALUE
              : Math.max(0, blockingDeadline - System.nanoTime());
      return Math.min(
          untilDeadline, CallerDrivenLoop.this.delayNanos(currentTimeNanos, untilDeadline));
    }

    @Override
    public long deadlineNanos() {
      if (!mayBlock) {
        return -1;
      }
      long next = nextScheduledTaskDeadlineNanos();
      if (blockingDeadline == Long.MAX_VALUE) {
        return next;
      }
      // the handler compares deadlines with the ticker's clock, not System.nanoTime()
      long now = ticker().nanoTime();
      long mine = now + Math.max(0, blockingDeadline - System.nanoTime());
      return next == -1 || next - mine > 0 ? mine : next;
    }
  }

  /**
   * A channel that exists only for its interrupt hook: {@code begin()} makes the JDK call {@link
   * #implCloseChannel()} when the thread is interrupted, which wakes the native wait.
   */
  private final class InterruptHook extends AbstractInterruptibleChannel {
    void enter() {
      begin();
    }

    void exit() {
      try {
        end(true);
      } catch (IOException interrupted) {
        // ClosedByInterruptException: the interrupt flag is set, which the caller sees
      }
    }

    @Override
    protected void implCloseChannel() {
      wakeup();
    }
  }
}
