package io.bbipc.examples.selftest;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_FAILED;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;

import io.bbipc.IpcException;
import io.bbipc.IpcSocket;
import io.bbipc.PollResult;
import io.bbipc.Poller;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/** Checks that one poller over many accepted streams reports each that has data, and only those. */
final class PollerCheck implements Check {
  /** How many connected pairs the check watches. */
  static final int STREAMS = 100;

  /** Watches the accepted ends of many connections while each client writes one byte. */
  @Override
  public Result run(Probe probe) throws Exception {
    Row row = probe.row;
    StreamServer server = probe.keep(row.listen());
    List<StreamSocket> clients = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      clients.add(probe.keep(row.connect(server)));
    }
    List<StreamSocket> accepted = acceptAll(probe, server);
    Poller poller = probe.keep(row.ipc.makePoller());
    monitorAll(poller, accepted);
    List<PollResult> early = poller.waitForEvents(Timeout.IMMEDIATE);
    if (!early.isEmpty()) {
      throw new CheckFailure(
          "reported " + early.size() + " streams with data before any client wrote");
    }
    writeOneByteEach(probe, clients);
    reportEachOnce(probe, poller, accepted);
    // Monitored again, all of them still hold their byte, so one call reports them all.
    monitorAll(poller, accepted);
    int together = poller.waitForEvents(Timeout.IMMEDIATE).size();
    if (together != STREAMS) {
      throw new CheckFailure(
          "with all " + STREAMS + " streams holding data, one call reported " + together);
    }
    readOneByteEach(accepted);
    return Result.ok();
  }

  /** Returns the accepted ends of all the clients' connections, in the order accepted. */
  private static List<StreamSocket> acceptAll(Probe probe, StreamServer server) throws Exception {
    List<StreamSocket> accepted = new ArrayList<>();
    while (accepted.size() < STREAMS) {
      if (!server.connectionAvailable()) {
        probe.await(
            server,
            EnumSet.of(CONNECTION_AVAILABLE),
            "connection " + (accepted.size() + 1) + " of " + STREAMS + " to accept");
      }
      accepted.add(probe.keep(server.acceptConnection()));
    }
    return accepted;
  }

  /** Monitors every stream for DATA_AVAILABLE. */
  private static void monitorAll(Poller poller, List<StreamSocket> streams) throws IpcException {
    for (StreamSocket stream : streams) {
      poller.monitorSocket(stream, EnumSet.of(DATA_AVAILABLE));
    }
  }

  /** Waits for each client to connect and writes its index as one byte. */
  private static void writeOneByteEach(Probe probe, List<StreamSocket> clients) throws Exception {
    for (int i = 0; i < STREAMS; i++) {
      StreamSocket client = clients.get(i);
      Set<SocketEvent> ended =
          probe.await(
              client,
              EnumSet.of(CONNECTION_SUCCEEDED, CONNECTION_FAILED),
              "client " + (i + 1) + " of " + STREAMS + " to connect");
      if (!ended.contains(CONNECTION_SUCCEEDED)) {
        throw new CheckFailure("client " + (i + 1) + " of " + STREAMS + " failed to connect");
      }
      Transfers.writeAll(
          probe, client, new byte[] {(byte) i}, 0, 1, "client " + (i + 1) + " to write");
    }
  }

  /**
   * Waits until the poller has reported every accepted stream, each once and with DATA_AVAILABLE
   * alone, unmonitoring each as it is reported.
   */
  private static void reportEachOnce(Probe probe, Poller poller, List<StreamSocket> accepted)
      throws Exception {
    Set<IpcSocket> watched = Collections.newSetFromMap(new IdentityHashMap<>());
    watched.addAll(accepted);
    /*
     * Events are level-triggered: a stream reported stays reported while its byte waits. So each
     * one reported is set aside, as a server that reads it would, and every call that reports
     * anything reports a stream not seen before: at most one call per stream.
     */
    Set<IpcSocket> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    int calls = 0;
    while (seen.size() < STREAMS) {
      String progress =
          calls
              + " calls of waitForEvents reported "
              + seen.size()
              + " of "
              + STREAMS
              + " streams with data";
      if (calls == STREAMS) {
        throw new CheckFailure(progress);
      }
      probe.checkTime(progress);
      List<PollResult> results = poller.waitForEvents(probe.left());
      if (!results.isEmpty()) {
        calls++;
      }
      for (PollResult result : results) {
        if (!watched.contains(result.socket()) || seen.contains(result.socket())) {
          throw new CheckFailure("reported a socket it does not monitor: " + result.socket());
        }
        if (!result.events().equals(EnumSet.of(DATA_AVAILABLE))) {
          throw new CheckFailure(
              "reported " + result.events() + " for a stream monitored for DATA_AVAILABLE");
        }
        seen.add(result.socket());
        poller.unmonitorSocket(result.socket());
      }
    }
  }

  /** Reads each accepted stream's byte and throws unless they are one each, all different. */
  private static void readOneByteEach(List<StreamSocket> accepted) throws Exception {
    BitSet bytes = new BitSet();
    byte[] one = new byte[2];
    for (StreamSocket stream : accepted) {
      if (stream.readFromStream(one) != 1) {
        throw new CheckFailure(
            "an accepted stream reported with data did not hold exactly one byte");
      }
      bytes.set(one[0] & 0xff);
    }
    if (bytes.cardinality() != STREAMS) {
      throw new CheckFailure(
          "the accepted streams held " + bytes.cardinality() + " different bytes, not " + STREAMS);
    }
  }
}
