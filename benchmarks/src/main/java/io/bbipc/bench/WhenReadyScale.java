package io.bbipc.bench;

import io.bbipc.Ipc;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many outstanding {@code whenReady} futures on one stream: how long registering them takes, how
 * long completing them all takes once the peer writes a byte, and how long another stream on the
 * same event loop waits meanwhile. The runtime has one event loop thread, so both streams share it;
 * the other stream runs one-byte round trips from a thread of its own the whole time.
 */
final class WhenReadyScale {
  private static final Set<SocketEvent> DATA = EnumSet.of(SocketEvent.DATA_AVAILABLE);

  /** Any honest wait here is far shorter; a stall is reported, not waited out. */
  private static final Timeout STALL = Timeout.seconds(30);

  private WhenReadyScale() {}

  static List<Results.WhenReadyRow> runAll(
      Settings settings, List<String> transports, Progress progress) {
    List<Results.WhenReadyRow> rows = new ArrayList<>();
    for (String t : transports) {
      for (int n : settings.whenReadySizes) {
        rows.add(one(settings, t, n, progress));
      }
    }
    return rows;
  }

  static Results.WhenReadyRow one(
      Settings settings, String transport, int futures, Progress progress) {
    progress.start(
        String.format(
            Locale.ROOT, "whenReady %,d futures, bbipc · %s, local socket", futures, transport));
    Path dir = null;
    try (Ipc ipc = Ipc.builder().transport(transport).ioThreads(1).build()) {
      dir = Endpoints.socketDir();
      Path path = dir.resolve("s.sock");
      try (StreamServer server = ipc.makeLocalServer(path)) {
        StreamSocket[] other = connect(ipc, server, path);
        try {
          // the first run warms the JIT up and is not kept
          measure(settings, ipc, server, path, other, futures);
          List<Results.WhenReadyRun> runs = new ArrayList<>();
          for (int i = 0; i < settings.whenReadyRuns; i++) {
            runs.add(measure(settings, ipc, server, path, other, futures));
          }
          Results.WhenReadyRow row = new Results.WhenReadyRow(transport, futures, runs, null);
          progress.done(
              String.format(
                  Locale.ROOT,
                  "register %.1f ms, complete %.1f ms, other socket's worst "
                      + "round trip while completing %.2f ms (medians of %d)",
                  row.median(Results.WhenReadyRun::registerMillis),
                  row.median(Results.WhenReadyRun::completeMillis),
                  row.median(Results.WhenReadyRun::worstRttCompletingMillis),
                  runs.size()));
          return row;
        } finally {
          other[0].close();
          other[1].close();
        }
      }
    } catch (Exception | AssertionError e) {
      progress.failed(e);
      return new Results.WhenReadyRow(transport, futures, List.of(), Results.describe(e));
    } finally {
      Endpoints.deleteQuietly(dir);
    }
  }

  /** A connected client and its accepted end. */
  private static StreamSocket[] connect(Ipc ipc, StreamServer server, Path path)
      throws IOException {
    StreamSocket client = ipc.connectToLocalServer(path);
    try {
      Endpoints.awaitConnected(client, "whenReady scale connect");
      Endpoints.require(
          server.poll(SocketEvent.CONNECTION_AVAILABLE, STALL),
          "whenReady scale: the server saw no connection within 30 s");
      return new StreamSocket[] {client, server.acceptConnection()};
    } catch (IOException | RuntimeException e) {
      client.close();
      throw e;
    }
  }

  private static Results.WhenReadyRun measure(
      Settings settings, Ipc ipc, StreamServer server, Path path, StreamSocket[] other, int n)
      throws Exception {
    StreamSocket[] pair = connect(ipc, server, path);
    RoundTrips rtts = new RoundTrips(other[0], other[1]);
    try {
      rtts.start();
      // the other stream's round trips with the loop idle, to read the figures below against
      long idleFrom = System.nanoTime();
      rtts.awaitUntil(idleFrom + settings.whenReadyIdleNanos);
      long idleTo = System.nanoTime();

      List<CompletableFuture<Set<SocketEvent>>> futures = new ArrayList<>(n);
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        futures.add(pair[0].whenReady(DATA));
      }
      long t1 = System.nanoTime();

      // Counted from each future's continuation, which runs where the future completes (the event
      // loop); waiting in get() instead could run continuations on this thread and time that.
      AtomicInteger left = new AtomicInteger(n);
      CountDownLatch allDone = new CountDownLatch(1);
      long[] lastDoneAt = new long[1];
      for (CompletableFuture<Set<SocketEvent>> f : futures) {
        f.whenComplete(
            (events, error) -> {
              if (left.decrementAndGet() == 0) {
                lastDoneAt[0] = System.nanoTime();
                allDone.countDown();
              }
            });
      }
      Endpoints.require(
          left.get() == n,
          (n - left.get()) + " of " + n + " whenReady futures completed before any data was sent");
      // The loop keeps checking the futures for a while after the last registration; completing
      // starts once it serves the other stream again, so neither figure holds the other's wait.
      rtts.awaitRoundTripsStartedAfter(System.nanoTime(), 3);
      long t2 = System.nanoTime();
      Endpoints.require(
          pair[1].writeToStream(new byte[] {1}) == 1, "the peer's one-byte write was not accepted");
      if (!allDone.await(60, TimeUnit.SECONDS)) {
        throw new IOException(
            String.format(
                Locale.ROOT,
                "only %,d of %,d whenReady futures completed within 60 s",
                n - left.get(),
                n));
      }
      long t3 = lastDoneAt[0];
      // the round trip under way when the last future completed belongs to the figure too
      rtts.awaitOneEndedAfter(t3);
      rtts.stop();
      rtts.check();
      for (int i = 0; i < n; i++) {
        Set<SocketEvent> got = futures.get(i).getNow(null);
        Endpoints.require(
            DATA.equals(got),
            "future " + i + " of " + n + " completed with " + got + ", not " + DATA);
      }
      long[] idle = rtts.durations(idleFrom, idleTo);
      long[] registering = rtts.durations(t0, t1);
      long[] completing = rtts.durations(t2, t3);
      return new Results.WhenReadyRun(
          (t1 - t0) / 1e6,
          (t3 - t2) / 1e6,
          worst(completing) / 1e6,
          completing.length,
          worst(registering) / 1e6,
          Stats.median(idle) / 1e3);
    } finally {
      rtts.halt();
      pair[0].close();
      pair[1].close();
    }
  }

  private static double worst(long[] d) {
    return d.length == 0 ? Double.NaN : Arrays.stream(d).max().orElseThrow();
  }

  /**
   * One thread running one-byte round trips between the two ends of a stream, both ends on the
   * measured event loop: the client writes, the accepted end reads and writes it back, the client
   * reads. Every round trip's start and end are kept.
   */
  private static final class RoundTrips implements Runnable {
    private final StreamSocket client;
    private final StreamSocket accepted;
    private final Thread thread;
    private volatile boolean stopping;
    private volatile Throwable failure;

    /** The end of the latest round trip; read by the measuring thread while this one runs. */
    private volatile long lastEnd;

    /** The start of the latest round trip to have ended. */
    private volatile long lastStart;

    private long[] starts = new long[1 << 14];
    private long[] ends = new long[1 << 14];
    private int count;

    RoundTrips(StreamSocket client, StreamSocket accepted) {
      this.client = client;
      this.accepted = accepted;
      // no round trip yet: one must start after now to count
      this.lastStart = System.nanoTime();
      this.lastEnd = lastStart;
      this.thread = new Thread(this, "whenready-other-socket");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    @Override
    public void run() {
      byte[] ping = new byte[1];
      byte[] got = new byte[1];
      try {
        for (int i = 0; !stopping; i++) {
          ping[0] = (byte) i;
          long t0 = System.nanoTime();
          send(client, ping);
          receive(accepted, got);
          send(accepted, got);
          receive(client, got);
          long t1 = System.nanoTime();
          if (got[0] != ping[0]) {
            throw new IOException("echo " + got[0] + " differs from ping " + ping[0]);
          }
          if (count == starts.length) {
            starts = Arrays.copyOf(starts, count * 2);
            ends = Arrays.copyOf(ends, count * 2);
          }
          starts[count] = t0;
          ends[count] = t1;
          count++;
          lastEnd = t1;
          lastStart = t0;
        }
      } catch (Exception | AssertionError e) {
        failure = e;
      }
    }

    private static void send(StreamSocket s, byte[] b) throws IOException {
      while (s.writeToStream(b, 0, 1) == 0) {
        Endpoints.require(
            s.poll(SocketEvent.READY_TO_WRITE, STALL), s + ": no room to write for 30 s");
      }
    }

    private static void receive(StreamSocket s, byte[] b) throws IOException {
      while (s.readFromStream(b, 0, 1) == 0) {
        Endpoints.require(s.poll(SocketEvent.DATA_AVAILABLE, STALL), s + ": no echo for 30 s");
      }
    }

    /** Waits until {@code deadline}, failing early if the round trips stopped. */
    void awaitUntil(long deadline) throws Exception {
      long left;
      while ((left = deadline - System.nanoTime()) > 0) {
        thread.join(Math.max(1, left / 1_000_000));
        check();
      }
    }

    /**
     * Waits until {@code k} round trips, one after another, all started after {@code t}, have
     * ended.
     */
    void awaitRoundTripsStartedAfter(long t, int k) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      for (int i = 0; i < k; i++) {
        while (lastStart - t <= 0) {
          check();
          Endpoints.require(
              System.nanoTime() - deadline < 0, "the other socket finished no round trip in 30 s");
          thread.join(1);
        }
        t = lastStart;
      }
    }

    /** Waits until a round trip has ended after {@code t}. */
    void awaitOneEndedAfter(long t) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (lastEnd - t <= 0) {
        check();
        Endpoints.require(
            System.nanoTime() - deadline < 0, "the other socket finished no round trip in 30 s");
        thread.join(1);
      }
    }

    /** Throws what ended the round trips, if anything did. */
    void check() throws Exception {
      Throwable f = failure;
      if (f instanceof Exception) {
        throw (Exception) f;
      } else if (f != null) {
        throw new IOException("the other socket's round trips failed", f);
      }
      Endpoints.require(thread.isAlive() || stopping, "the other socket's round trips stopped");
    }

    /**
     * Ends the round trips and waits for the thread, at most 35 s (a round trip stalled on the loop
     * gives up after 30); {@link #check} then says whether they ran to the end.
     */
    void stop() throws InterruptedException, IOException {
      stopping = true;
      thread.join(TimeUnit.SECONDS.toMillis(35));
      Endpoints.require(
          !thread.isAlive(), "the other socket's round trips did not stop within 35 s");
    }

    /**
     * As {@link #stop}, for a run that already failed: what went wrong first is what is reported.
     */
    void halt() {
      stopping = true;
      try {
        thread.join(TimeUnit.SECONDS.toMillis(35));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /**
     * The durations of the round trips that overlap {@code [from, to]}; after {@link #stop} only.
     */
    long[] durations(long from, long to) {
      long[] d = new long[count];
      int k = 0;
      for (int i = 0; i < count; i++) {
        if (starts[i] - to <= 0 && ends[i] - from >= 0) {
          d[k++] = ends[i] - starts[i];
        }
      }
      return Arrays.copyOf(d, k);
    }
  }
}
