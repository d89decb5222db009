package io.bbipc.bench;

import io.bbipc.Ipc;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A thread of its own that builds a caller-driven runtime, and so owns it: only this thread may use
 * the runtime's sockets. It runs the jobs handed to it one after another on that runtime, and
 * closes the runtime itself (as its owner, so the descriptors are released at once) when it is told
 * to stop.
 */
final class OwnerThread implements AutoCloseable {
  /** Work on the owned runtime; runs on the owner thread. */
  interface Job<T> {
    T run(Ipc ipc) throws Exception;
  }

  private static final Runnable STOP = () -> {};

  private final LinkedBlockingQueue<Runnable> jobs = new LinkedBlockingQueue<>();
  private final CompletableFuture<Ipc> built = new CompletableFuture<>();
  private final Thread thread;

  /**
   * Starts the thread and waits until it has built its runtime.
   *
   * @param busyPoll zero for none
   */
  OwnerThread(String name, String transport, Duration busyPoll) throws Exception {
    thread = new Thread(() -> loop(transport, busyPoll), name);
    thread.setDaemon(true);
    thread.start();
    PingPong.await(built, name + " building its caller-driven runtime");
  }

  /** A caller-driven runtime owned by the calling thread. */
  static Ipc build(String transport, Duration busyPoll) {
    Ipc.Builder b = Ipc.builder().transport(transport).callerDriven(true);
    if (!busyPoll.isZero()) {
      b.busyPoll(busyPoll);
    }
    return b.build();
  }

  private void loop(String transport, Duration busyPoll) {
    Ipc ipc;
    try {
      ipc = build(transport, busyPoll);
    } catch (RuntimeException | Error e) {
      built.completeExceptionally(e);
      return;
    }
    built.complete(ipc);
    try {
      while (true) {
        Runnable job = jobs.take();
        if (job == STOP) {
          return;
        }
        job.run();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      // the owner's own close releases the descriptors before it returns
      ipc.close();
    }
  }

  /** Hands {@code job} to the owner; the future completes with its result once it ran there. */
  <T> CompletableFuture<T> submit(Job<T> job) {
    CompletableFuture<T> f = new CompletableFuture<>();
    Ipc ipc = built.join();
    jobs.add(
        () -> {
          try {
            f.complete(job.run(ipc));
          } catch (Exception | Error e) {
            f.completeExceptionally(e);
          }
        });
    return f;
  }

  /**
   * Stops the owner: closes its runtime from here, which wakes the owner out of any wait in a job
   * and makes its next call fail, then lets it close the runtime itself and end. A stalled owner is
   * left behind (it is a daemon) rather than waited for beyond ten seconds.
   */
  @Override
  public void close() {
    jobs.add(STOP);
    Ipc ipc = built.getNow(null);
    if (ipc != null) {
      ipc.close();
    }
    PingPong.join(thread);
  }
}
