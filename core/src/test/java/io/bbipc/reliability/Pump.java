package io.bbipc.reliability;

import io.bbipc.IpcException;
import io.bbipc.StreamSocket;
import java.util.zip.CRC32C;

/**
 * Both directions of one stream, stepped without blocking: it writes {@link Rel.Pattern} {@code
 * out} and checks that what it reads is an exact prefix of pattern {@code in}.
 */
final class Pump {
  final StreamSocket stream;
  private final Rel.Pattern out;
  private final Rel.Pattern in;
  private final byte[] buf = new byte[256 * 1024];
  private final CRC32C receivedCrc = new CRC32C();
  long written;
  long read;

  /** The first offset where what was read differed from what was sent, or -1. */
  long mismatchAt = -1;

  /** When {@code REMOTE_DISCONNECTED} was first seen ({@link System#nanoTime()}), or 0. */
  long disconnectSeenAt;

  /** Whether a write threw because the peer had gone. */
  boolean writeFailed;

  Pump(StreamSocket stream, Rel.Pattern out, Rel.Pattern in) {
    this.stream = stream;
    this.out = out;
    this.in = in;
  }

  /** One round: a write (unless stopped) and a read; true if any byte moved. */
  boolean step(boolean write) throws IpcException {
    boolean progress = false;
    if (write && !writeFailed) {
      try {
        int start = out.start(written);
        int n = stream.writeToStream(out.bytes, start, start + 64 * 1024);
        written += n;
        progress = n > 0;
      } catch (IpcException e) {
        if (!stream.remoteDisconnected()) {
          throw e;
        }
        writeFailed = true;
      }
    }
    int n = stream.readFromStream(buf);
    if (n > 0) {
      if (mismatchAt < 0 && !in.matches(read, buf, 0, n)) {
        mismatchAt = read;
      }
      receivedCrc.update(buf, 0, n);
      read += n;
      progress = true;
    }
    if (disconnectSeenAt == 0 && stream.remoteDisconnected()) {
      disconnectSeenAt = System.nanoTime();
    }
    return progress;
  }

  /** Whether the peer has gone and every byte it sent has been read. */
  boolean drained() throws IpcException {
    if (!stream.remoteDisconnected()) {
      return false;
    }
    // bytes are buffered before REMOTE_DISCONNECTED is set: one more read settles it
    return !step(false);
  }

  long receivedCrc() {
    return receivedCrc.getValue();
  }

  /** The CRC32C of the first {@code n} bytes of pattern {@code p}. */
  static long crcOfPrefix(Rel.Pattern p, long n) {
    CRC32C c = new CRC32C();
    long done = 0;
    while (done < n) {
      int len = (int) Math.min(n - done, Rel.Pattern.MAX_SLICE);
      c.update(p.bytes, p.start(done), len);
      done += len;
    }
    return c.getValue();
  }
}
