package io.bbipc.examples.selftest;

import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;

import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import java.util.EnumSet;
import java.util.Set;

/** Moves whole messages through a stream under a check's deadline. */
final class Transfers {
  /** Makes nothing: the class only holds functions. */
  private Transfers() {}

  /** Writes {@code bytes[from..to)} to the stream, waiting whenever it is full. */
  static void writeAll(
      Probe probe, StreamSocket stream, byte[] bytes, int from, int to, String what)
      throws Exception {
    int at = from;
    while (true) {
      at += stream.writeToStream(bytes, at, to);
      if (at == to) {
        return;
      }
      Set<SocketEvent> ready =
          probe.await(stream, EnumSet.of(READY_TO_WRITE, REMOTE_DISCONNECTED), what);
      if (ready.contains(REMOTE_DISCONNECTED)) {
        throw new CheckFailure(
            what + ": the peer disconnected with " + (to - at) + " bytes unwritten");
      }
    }
  }

  /** Returns the next {@code length} bytes of the stream, waiting until they are all there. */
  static byte[] readExactly(Probe probe, StreamSocket stream, int length, String what)
      throws Exception {
    byte[] bytes = new byte[length];
    int read = 0;
    while (read < length) {
      int n = stream.readFromStream(bytes, read, length);
      read += n;
      if (n == 0) {
        Set<SocketEvent> ready =
            probe.await(stream, EnumSet.of(DATA_AVAILABLE, REMOTE_DISCONNECTED), what);
        if (ready.contains(REMOTE_DISCONNECTED) && !stream.dataAvailable()) {
          throw new CheckFailure(
              what + ": the peer disconnected after " + read + " of " + length + " bytes");
        }
      }
    }
    return bytes;
  }
}
