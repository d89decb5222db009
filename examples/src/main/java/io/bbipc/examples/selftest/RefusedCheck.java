package io.bbipc.examples.selftest;

import static io.bbipc.SocketEvent.CONNECTION_FAILED;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;

import io.bbipc.NoLocalServerException;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Callable;

/** Checks that a connect where nothing listens fails, and says so. */
final class RefusedCheck implements Check {
  /** Connects where nothing listens: a held TCP port, a path or a name no server has. */
  @Override
  public Result run(Probe probe) throws Exception {
    Row row = probe.row;
    switch (row.kind) {
      case TCP:
      case TCP6:
        return refusedOverTcp(probe);
      case LOCAL:
        {
          Path missing = row.newPath("missing");
          return refusedByName(
              probe,
              "connectToLocalServer(" + missing + ")",
              () -> row.ipc.connectToLocalServer(missing));
        }
      default:
        {
          String missing = row.newName();
          return refusedByName(
              probe,
              "connectToAbstractLocalServer(\"" + missing + "\")",
              () -> row.ipc.connectToAbstractLocalServer(missing));
        }
    }
  }

  /**
   * Connects to a loopback port that is bound but not listening, and expects the connect to fail.
   */
  private static Result refusedOverTcp(Probe probe) throws Exception {
    Row row = probe.row;
    // A bound socket that does not listen holds the port, so no one else can take it meanwhile.
    try (Socket holder = new Socket()) {
      holder.bind(new InetSocketAddress(row.kind.loopback, 0));
      int port = holder.getLocalPort();
      String where = row.kind.where(port);
      StreamSocket stream = probe.keep(row.connect(port));
      Set<SocketEvent> ended =
          probe.await(
              stream,
              EnumSet.of(CONNECTION_FAILED, CONNECTION_SUCCEEDED),
              "the connect to " + where + ", where nothing listens, to end");
      if (ended.contains(CONNECTION_SUCCEEDED) || !stream.determined()) {
        throw new CheckFailure(
            "not refused: a connect to "
                + where
                + ", where nothing listens, "
                + "ended with "
                + ended
                + ", determined "
                + stream.determined());
      }
    }
    return Result.ok();
  }

  /** Calls {@code connect}, named {@code call}, and expects a {@link NoLocalServerException}. */
  private static Result refusedByName(
      Probe probe, String call, Callable<? extends AutoCloseable> connect) throws Exception {
    try {
      probe.keep(connect.call());
    } catch (NoLocalServerException expected) {
      return Result.ok();
    }
    throw new CheckFailure(
        "not refused: " + call + " returned a stream, not NoLocalServerException");
  }
}
