package io.bbipc.examples.selftest;

import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;

import io.bbipc.StreamSocket;
import java.util.Arrays;
import java.util.EnumSet;

/** Checks that when the peer writes and closes, the disconnect shows and every byte is there. */
final class DisconnectCheck implements Check {
  /** Well within the default 1 MiB inbound limit, so the whole of it is read before the FIN. */
  private static final int BYTES = 256 * EchoCheck.KIB;

  /** Lets the peer write and close, then checks the client's state and reads every byte. */
  @Override
  public Result run(Probe probe) throws Exception {
    Pair pair = probe.pair();
    byte[] data = probe.row.context.payload;
    Transfers.writeAll(probe, pair.accepted, data, 0, BYTES, "the peer to write");
    pair.accepted.close();
    StreamSocket client = pair.client;
    probe.await(
        client,
        EnumSet.of(REMOTE_DISCONNECTED),
        "REMOTE_DISCONNECTED after the peer wrote " + BYTES + " bytes and closed");
    if (!client.determined()
        || !client.connectionFailed()
        || client.connectionSucceeded()
        || client.readyToWrite()) {
      throw new CheckFailure(
          "wrong state with REMOTE_DISCONNECTED: determined "
              + client.determined()
              + ", connectionFailed "
              + client.connectionFailed()
              + ", connectionSucceeded "
              + client.connectionSucceeded()
              + ", readyToWrite "
              + client.readyToWrite());
    }
    byte[] kept = new byte[BYTES + 1];
    int got = 0;
    for (int n; got < kept.length && (n = client.readFromStream(kept, got, kept.length)) > 0; ) {
      got += n;
    }
    if (got != BYTES) {
      throw new CheckFailure(
          "bytes lost: with REMOTE_DISCONNECTED, "
              + got
              + " of the "
              + BYTES
              + " bytes written before it were readable");
    }
    if (!Arrays.equals(kept, 0, got, data, 0, got)) {
      throw new CheckFailure(
          "wrong bytes: those kept after the disconnect differ from those written");
    }
    if (client.dataAvailable()) {
      throw new CheckFailure("DATA_AVAILABLE still held after every byte written was read");
    }
    return Result.ok();
  }
}
