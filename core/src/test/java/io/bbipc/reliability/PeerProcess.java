package io.bbipc.reliability;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.READY_TO_WRITE;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;

import io.bbipc.BasicBinaryIpc;
import io.bbipc.Ipc;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.SocketEvent;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.conformance.Streams;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The peer JVM that {@link KilledPeerReliabilityTest} kills. It listens (server transport),
 * connects to the test's server (client transport), and then streams its pattern both ways on both
 * connections, checking what it reads, until it is killed.
 *
 * <p>Arguments: kind (TCP or LOCAL), server transport, client transport, the test's port or path,
 * the path to listen on (LOCAL), the test's pattern seed, this peer's pattern seed. Prints {@code
 * LISTENING <port or path>}, {@code CONNECTED}, then {@code VERIFIED <a> <b>} per MiB checked on
 * both connections; {@code MISMATCH} or {@code ERROR} and exits otherwise.
 */
public final class PeerProcess {
  private PeerProcess() {}

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable e) {
      say("ERROR " + e);
      e.printStackTrace();
      System.exit(2);
    }
  }

  private static void run(String[] args) throws Exception {
    boolean tcp = args[0].equals("TCP");
    Ipc serverIpc = Ipc.builder().transport(args[1]).build();
    Ipc clientIpc = args[1].equals(args[2]) ? serverIpc : Ipc.builder().transport(args[2]).build();
    StreamServer server =
        tcp
            ? serverIpc.makeIpv4TcpServer("127.0.0.1", 0)
            : serverIpc.makeLocalServer(Path.of(args[4]));
    say("LISTENING " + (tcp ? String.valueOf(((Ipv4TcpServer) server).port()) : args[4]));
    StreamSocket toTest =
        tcp
            ? clientIpc.connectToIpv4TcpServer("127.0.0.1", Integer.parseInt(args[3]))
            : clientIpc.connectToLocalServer(Path.of(args[3]));
    if (!server.poll(CONNECTION_AVAILABLE, Timeout.seconds(30))) {
      throw new IllegalStateException("the test never connected");
    }
    StreamSocket fromTest = server.acceptConnection();
    Rel.Pattern theirs = new Rel.Pattern(Long.parseLong(args[5]));
    Rel.Pattern mine = new Rel.Pattern(Long.parseLong(args[6]));
    Pump a = new Pump(toTest, mine, theirs);
    Pump b = new Pump(fromTest, mine, theirs);
    say("CONNECTED");
    long nextReport = 1 << 20;
    long deadline = Streams.deadline(120);
    Set<SocketEvent> events = EnumSet.of(DATA_AVAILABLE, READY_TO_WRITE, REMOTE_DISCONNECTED);
    while (!Streams.passed(deadline)) {
      boolean progress = a.step(true) | b.step(true);
      if (a.mismatchAt >= 0 || b.mismatchAt >= 0) {
        say("MISMATCH at " + a.mismatchAt + " / " + b.mismatchAt);
        System.exit(3);
      }
      if (a.stream.remoteDisconnected() || b.stream.remoteDisconnected()) {
        say("ERROR the test disconnected first");
        System.exit(4);
      }
      if (Math.min(a.read, b.read) >= nextReport) {
        say("VERIFIED " + a.read + " " + b.read);
        nextReport += 1 << 20;
      }
      if (!progress) {
        BasicBinaryIpc.pollSockets(
            List.of(a.stream, b.stream), List.of(events, events), Timeout.seconds(1));
      }
    }
    say("ERROR nobody killed this peer within 120 s");
    System.exit(5);
  }
}
