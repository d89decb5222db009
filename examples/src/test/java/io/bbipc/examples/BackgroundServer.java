package io.bbipc.examples;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A server loop on its own thread, stopped the way the examples are meant to be stopped: by
 * interrupting the thread. {@link #stop()} waits a bounded time and hands back the loop's result or
 * rethrows its failure, so that a server error fails the test instead of vanishing.
 */
final class BackgroundServer<T> implements AutoCloseable {
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final FutureTask<T> task;
  private final Thread thread;

  BackgroundServer(String name, Callable<T> loop) {
    task = new FutureTask<>(loop);
    thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Interrupts the loop and returns what it returned. */
  T stop() throws Exception {
    thread.interrupt();
    try {
      return task.get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception) {
        throw (Exception) e.getCause();
      }
      throw e;
    } catch (TimeoutException e) {
      throw new AssertionError("the server thread did not stop within " + STOP_TIMEOUT, e);
    } finally {
      thread.join(STOP_TIMEOUT.toMillis());
      assertFalse(thread.isAlive(), "server thread still alive");
    }
  }

  /** Stops the loop if the test did not, ignoring its result. */
  @Override
  public void close() throws Exception {
    if (!task.isDone()) {
      stop();
    }
  }
}
