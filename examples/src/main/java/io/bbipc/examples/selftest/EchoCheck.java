package io.bbipc.examples.selftest;

import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;

import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.CRC32;

/**
 * Checks that {@code size} bytes go there and back unchanged, the client writing and reading at
 * once while an echo server on another thread reads and writes back: 16 MiB cannot wait in the
 * buffers.
 */
final class EchoCheck implements Check {
  static final int KIB = 1024;
  static final int MIB = 1024 * KIB;

  /** The most bytes an echo sends, and so the length of the payload. */
  static final int LARGEST = 16 * MIB;

  /** How long the client waits at a time, so that an echo server that failed is noticed soon. */
  private static final Timeout SLICE = Timeout.seconds(0.2);

  private final int size;

  /** Makes the check of an echo of {@code size} bytes. */
  EchoCheck(int size) {
    this.size = size;
  }

  /** Sends the bytes through an echo server and compares the CRC32 of what came back. */
  @Override
  public Result run(Probe probe) throws Exception {
    Pair pair = probe.pair();
    Future<Long> server = probe.background(() -> echoBack(probe, pair.accepted));
    CRC32 back = new CRC32();
    long received = exchange(probe, pair.client, server, back);
    CRC32 sent = new CRC32();
    sent.update(probe.row.context.payload, 0, size);
    if (received != size || back.getValue() != sent.getValue()) {
      throw new CheckFailure(
          "CRC32 differs: "
              + received
              + " bytes came back with CRC32 "
              + Long.toHexString(back.getValue())
              + "; sent "
              + size
              + " with CRC32 "
              + Long.toHexString(sent.getValue()));
    }
    awaitServer(probe, server);
    return Result.ok();
  }

  /** Writes the bytes and reads the echo at once until all are back; returns how many came. */
  private long exchange(Probe probe, StreamSocket client, Future<Long> server, CRC32 back)
      throws Exception {
    byte[] data = probe.row.context.payload;
    byte[] in = new byte[64 * KIB];
    int written = 0;
    long received = 0;
    while (received < size) {
      boolean moved = false;
      if (written < size) {
        int n = client.writeToStream(data, written, size);
        written += n;
        moved = n > 0;
      }
      int n = client.readFromStream(in);
      if (n > 0) {
        back.update(in, 0, n);
        received += n;
        moved = true;
      }
      if (!moved) {
        awaitProgress(probe, client, server, written, received);
      }
    }
    return received;
  }

  /** Waits a slice for the client to move on, throwing if the echo server failed or went. */
  private void awaitProgress(
      Probe probe, StreamSocket client, Future<Long> server, int written, long received)
      throws Exception {
    // Having echoed everything, the server may well be done before the last bytes are back.
    if (server.isDone() && Texts.failure(server) != null) {
      throw new CheckFailure(
          "the echo server failed with "
              + received
              + " of "
              + size
              + " bytes back: "
              + Texts.failure(server));
    }
    Set<SocketEvent> wanted =
        written < size
            ? EnumSet.of(DATA_AVAILABLE, READY_TO_WRITE, REMOTE_DISCONNECTED)
            : EnumSet.of(DATA_AVAILABLE, REMOTE_DISCONNECTED);
    Set<SocketEvent> ready = client.poll(wanted, SLICE);
    if (ready.isEmpty()) {
      probe.checkTime(received + " of " + size + " bytes back, " + written + " written");
    } else if (ready.contains(REMOTE_DISCONNECTED) && !client.dataAvailable()) {
      throw new CheckFailure(
          "the echo server's end disconnected with " + received + " of " + size + " bytes back");
    }
  }

  /** Waits for the echo server to end, throwing unless it echoed every byte. */
  private void awaitServer(Probe probe, Future<Long> server) throws Exception {
    long echoed;
    try {
      echoed = server.get(Math.max(0, probe.nanosLeft()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new CheckFailure("timed out: the echo server did not finish");
    } catch (ExecutionException e) {
      throw new CheckFailure("echo server: " + Texts.describe(e.getCause()));
    }
    if (echoed != size) {
      throw new CheckFailure("the echo server echoed " + echoed + " bytes, not " + size);
    }
  }

  /** Reads whatever is there and writes it back until {@code size} bytes; returns how many. */
  private long echoBack(Probe probe, StreamSocket stream) throws Exception {
    byte[] chunk = new byte[64 * KIB];
    long echoed = 0;
    while (echoed < size) {
      int n = stream.readFromStream(chunk, 0, (int) Math.min(chunk.length, size - echoed));
      if (n == 0) {
        Set<SocketEvent> ready =
            probe.await(
                stream,
                EnumSet.of(DATA_AVAILABLE, REMOTE_DISCONNECTED),
                "the echo server to get bytes (" + echoed + " of " + size + " echoed)");
        if (ready.contains(REMOTE_DISCONNECTED) && !stream.dataAvailable()) {
          throw new CheckFailure(
              "the client disconnected after " + echoed + " of " + size + " bytes");
        }
        continue;
      }
      Transfers.writeAll(probe, stream, chunk, 0, n, "the echo server to write back");
      echoed += n;
    }
    return echoed;
  }
}
