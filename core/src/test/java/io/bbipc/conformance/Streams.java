package io.bbipc.conformance;

import static org.junit.jupiter.api.Assertions.fail;

import io.bbipc.IpcException;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

/**
 * Bounded helpers for tests: moving bytes, and calls on threads of their own; every loop and wait
 * ends by a deadline.
 */
public final class Streams {
  private Streams() {}

  /** A {@link System#nanoTime()} deadline {@code seconds} from now. */
  public static long deadline(double seconds) {
    return System.nanoTime() + (long) (seconds * 1e9);
  }

  /** Tells whether {@code deadline} has passed. */
  public static boolean passed(long deadline) {
    return System.nanoTime() - deadline > 0;
  }

  /** Fails the test, naming {@code what}, once {@code deadline} has passed. */
  public static void checkDeadline(long deadline, String what) {
    if (passed(deadline)) {
      fail("timed out: " + what);
    }
  }

  /** Writes all of {@code data}, waiting for READY_TO_WRITE whenever the stream is full. */
  public static void writeFully(StreamSocket s, byte[] data, long deadline) throws IpcException {
    int off = 0;
    while (off < data.length) {
      int n = s.writeToStream(data, off, data.length);
      off += n;
      if (n == 0) {
        checkDeadline(deadline, "writing, " + off + " of " + data.length + " written");
        s.poll(SocketEvent.READY_TO_WRITE, Timeout.seconds(1));
      }
    }
  }

  /**
   * Writes 64 KiB blocks until a write throws IpcException (the peer has gone), waiting a little
   * whenever the stream takes nothing; returns the bytes it took before that. Fails naming {@code
   * what} once {@code deadline} has passed.
   */
  public static long writeUntilAWriteFails(StreamSocket s, long deadline, String what) {
    byte[] block = new byte[64 * 1024];
    long written = 0;
    while (true) {
      try {
        int n = s.writeToStream(block);
        written += n;
        if (n == 0) {
          s.poll(
              java.util.EnumSet.of(SocketEvent.READY_TO_WRITE, SocketEvent.REMOTE_DISCONNECTED),
              Timeout.seconds(0.01));
        }
      } catch (IpcException e) {
        return written;
      }
      checkDeadline(deadline, what + ", " + written + " bytes taken");
    }
  }

  /** Reads exactly {@code n} bytes. */
  public static byte[] readFully(StreamSocket s, int n, long deadline) throws IpcException {
    byte[] out = new byte[n];
    int off = 0;
    while (off < n) {
      int got = s.readFromStream(out, off, n);
      off += got;
      if (got == 0) {
        checkDeadline(deadline, "reading, " + off + " of " + n + " read");
        s.poll(SocketEvent.DATA_AVAILABLE, Timeout.seconds(1));
      }
    }
    return out;
  }

  /** Reads until the peer has gone and nothing is left. */
  public static byte[] readToDisconnect(StreamSocket s, long deadline) throws IpcException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] buf = new byte[65536];
    while (true) {
      int n = s.readFromStream(buf);
      if (n > 0) {
        out.write(buf, 0, n);
        continue;
      }
      if (s.remoteDisconnected() && !s.dataAvailable()) {
        return out.toByteArray();
      }
      checkDeadline(deadline, "reading to disconnect, " + out.size() + " bytes so far");
      s.poll(
          java.util.EnumSet.of(SocketEvent.DATA_AVAILABLE, SocketEvent.REMOTE_DISCONNECTED),
          Timeout.seconds(1));
    }
  }

  public static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  public static long crc(byte[] data) {
    CRC32C c = new CRC32C();
    c.update(data);
    return c.getValue();
  }

  public static void assertSameBytes(byte[] expected, byte[] actual) {
    if (!Arrays.equals(expected, actual)) {
      int i = Arrays.mismatch(expected, actual);
      fail(
          "bytes differ at index "
              + i
              + " (expected "
              + expected.length
              + " bytes, got "
              + actual.length
              + ")");
    }
  }

  /** What a call returned, and whether its thread's interrupt flag was still set after it. */
  public record Interrupted(Object returned, boolean flagKept) {}

  /**
   * Runs {@code call} on a new thread, interrupts that thread once it is parked inside the call,
   * and returns what the call returned, within 10 s.
   */
  public static Interrupted interruptedWhileParkedIn(Callable<?> call) throws Exception {
    AtomicReference<Thread> waiter = new AtomicReference<>();
    CompletableFuture<Object> outcome =
        parkedIn(
            () -> {
              waiter.set(Thread.currentThread());
              Object returned = call.call();
              return new Interrupted(returned, Thread.currentThread().isInterrupted());
            });
    waiter.get().interrupt();
    Object got = outcome.get(10, TimeUnit.SECONDS);
    if (got instanceof Throwable) {
      throw new AssertionError("the interrupted call threw", (Throwable) got);
    }
    return (Interrupted) got;
  }

  /**
   * Calls {@code call} with the calling thread's interrupt flag set, and returns what it returned;
   * the flag is cleared after.
   */
  public static Interrupted calledInterrupted(Callable<?> call) throws Exception {
    Thread.currentThread().interrupt();
    try {
      Object returned = call.call();
      return new Interrupted(returned, Thread.currentThread().isInterrupted());
    } finally {
      Thread.interrupted();
    }
  }

  /**
   * An inbound handler that passes on, in place of each message read, what {@code map} makes of it;
   * a new one per channel.
   */
  public static ChannelInboundHandler passingOn(UnaryOperator<Object> map) {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ctx.fireChannelRead(map.apply(msg));
      }
    };
  }

  /**
   * Runs {@code call} on a new daemon thread named {@code name}; the future completes with what it
   * returns, or exceptionally with what it throws.
   */
  public static <T> CompletableFuture<T> onNewThread(String name, Callable<T> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    start(name, call, result);
    return result;
  }

  private static <T> Thread start(String name, Callable<T> call, CompletableFuture<T> result) {
    Thread t =
        new Thread(
            () -> {
              try {
                result.complete(call.call());
              } catch (Throwable e) {
                result.completeExceptionally(e);
              }
            },
            name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * {@code f}'s result within 60 s, else an AssertionError naming {@code what}; what the call threw
   * is thrown again, an Error wrapped in an AssertionError.
   */
  public static <T> T join(CompletableFuture<T> f, String what) throws Exception {
    try {
      return f.get(60, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("timed out: " + what, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception) {
        throw (Exception) e.getCause();
      }
      throw new AssertionError(what, e.getCause());
    }
  }

  /**
   * Runs {@code call} on a new thread and returns once that thread is parked inside it: what it
   * returned, or what it threw (as the thrown value, not a failure), completes the future.
   */
  public static CompletableFuture<Object> parkedIn(Callable<?> call) {
    CompletableFuture<Object> result = new CompletableFuture<>();
    Thread t = start("parked", call::call, result);
    CompletableFuture<Object> outcome =
        result.handle((value, thrown) -> thrown != null ? thrown : value);
    long deadline = deadline(10);
    while (t.getState() != Thread.State.WAITING && !outcome.isDone()) {
      checkDeadline(deadline, "the thread to park");
      Thread.onSpinWait();
    }
    return outcome;
  }
}
