package io.bbipc.examples.selftest;

import static io.bbipc.SocketEvent.DATA_AVAILABLE;

import io.bbipc.StreamSocket;
import java.util.Arrays;
import java.util.EnumSet;

/** Checks that a peek returns the bytes the next read consumes, and consumes nothing itself. */
final class PeekCheck implements Check {
  /** Peeks twice at bytes the peer wrote, then reads them and the rest, comparing all of them. */
  @Override
  public Result run(Probe probe) throws Exception {
    Pair pair = probe.pair();
    byte[] message = Arrays.copyOfRange(probe.row.context.payload, 0, 1000);
    Transfers.writeAll(probe, pair.accepted, message, 0, message.length, "the peer to write");
    StreamSocket client = pair.client;
    probe.await(client, EnumSet.of(DATA_AVAILABLE), "the bytes to peek at");
    byte[] first = new byte[message.length];
    int peeked = client.readFromStream(first, 0, first.length, true);
    byte[] second = new byte[message.length];
    int again = client.readFromStream(second, 0, second.length, true);
    if (peeked < 1 || again < peeked) {
      throw new CheckFailure(
          "peeks disagree: one peek copied " + peeked + " bytes, the next " + again);
    }
    if (!Arrays.equals(first, 0, peeked, message, 0, peeked)
        || !Arrays.equals(second, 0, peeked, message, 0, peeked)) {
      throw new CheckFailure("wrong bytes: a peek copied bytes other than those written");
    }
    byte[] read = new byte[peeked];
    int consumed = client.readFromStream(read, 0, peeked);
    if (consumed != peeked || !Arrays.equals(read, first)) {
      throw new CheckFailure(
          "read after peek differs: after peeking at "
              + peeked
              + " bytes, a read returned "
              + consumed
              + (consumed == peeked ? " other bytes" : " bytes"));
    }
    byte[] rest =
        Transfers.readExactly(probe, client, message.length - peeked, "the rest of the message");
    if (!Arrays.equals(rest, 0, rest.length, message, peeked, message.length)) {
      throw new CheckFailure("wrong bytes: those after the peeked ones differ from those written");
    }
    return Result.ok();
  }
}
