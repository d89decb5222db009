package io.bbipc.examples.selftest;

import io.bbipc.LocalStream;
import io.bbipc.PeerCredentials;
import java.util.Optional;

/** Checks that each end of a local stream is told who is at the other: this very process. */
final class PeerCredentialsCheck implements Check {
  /** Compares the uid each end of a connected pair reports with this process's. */
  @Override
  public Result run(Probe probe) throws Exception {
    Row row = probe.row;
    if (row.kind.isTcp()) {
      return Result.na("local only");
    }
    Pair pair = probe.pair();
    Optional<PeerCredentials> ofClient = ((LocalStream) pair.accepted).peerCredentials();
    Optional<PeerCredentials> ofServer = ((LocalStream) pair.client).peerCredentials();
    if (!row.transport.hasPeerCredentials() && ofClient.isEmpty() && ofServer.isEmpty()) {
      return Result.na("not supported here");
    }
    if (ofClient.isEmpty() || ofServer.isEmpty()) {
      throw new CheckFailure(
          "no peer credentials on the "
              + (ofClient.isEmpty() ? "accepted" : "connecting")
              + " end, though transport "
              + row.transport.name()
              + " reports them");
    }
    Integer uid = row.context.uid;
    if (uid == null) {
      throw new CheckFailure("cannot tell this process's uid to compare with " + ofClient.get());
    }
    if (ofClient.get().uid() != uid || ofServer.get().uid() != uid) {
      throw new CheckFailure(
          "wrong uid: "
              + ofClient.get().uid()
              + " at the accepted end, "
              + ofServer.get().uid()
              + " at the connecting end; this process's uid is "
              + uid);
    }
    return Result.ok();
  }
}
