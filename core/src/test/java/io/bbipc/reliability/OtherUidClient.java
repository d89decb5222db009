package io.bbipc.reliability;

import static io.bbipc.SocketEvent.CONNECTION_FAILED;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static io.bbipc.SocketEvent.REMOTE_DISCONNECTED;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.LocalStream;
import io.bbipc.NoLocalServerException;
import io.bbipc.SocketEvent;
import io.bbipc.Timeout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/**
 * The client that {@link LocalSocketSecurityReliabilityTest} runs under another user id. For each
 * {@code label=path} argument it connects, writes one byte and waits for one back, and prints
 * {@code RESULT <label> ACCEPTED|CLOSED|REFUSED|NOSERVER|TIMEOUT <detail>}.
 *
 * <p>Arguments: the transport, then the {@code label=path} pairs; or {@code probe}, which prints
 * {@code PROBE uid=<n>} to show that this JVM can start as that user at all.
 */
public final class OtherUidClient {
  private OtherUidClient() {}

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  public static void main(String[] args) throws Exception {
    if (args[0].equals("probe")) {
      say("PROBE uid=" + Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
      return;
    }
    try (Ipc ipc = Ipc.builder().transport(args[0]).build()) {
      for (int i = 1; i < args.length; i++) {
        String label = args[i].substring(0, args[i].indexOf('='));
        Path path = Path.of(args[i].substring(args[i].indexOf('=') + 1));
        say("RESULT " + label + " " + attempt(ipc, path));
      }
    } catch (Throwable e) {
      say("ERROR " + e);
      System.exit(2);
    }
    System.exit(0);
  }

  private static String attempt(Ipc ipc, Path path) {
    try (LocalStream s = ipc.connectToLocalServer(path)) {
      Set<SocketEvent> outcome =
          s.poll(EnumSet.of(CONNECTION_SUCCEEDED, CONNECTION_FAILED), Timeout.seconds(10));
      if (!outcome.contains(CONNECTION_SUCCEEDED)) {
        return s.remoteDisconnected() ? "CLOSED before writing" : "REFUSED connect " + outcome;
      }
      try {
        s.writeToStream(new byte[] {'x'});
      } catch (IpcException gone) {
        if (s.remoteDisconnected()) {
          return "CLOSED by the server";
        }
        throw gone;
      }
      Set<SocketEvent> answer =
          s.poll(EnumSet.of(DATA_AVAILABLE, REMOTE_DISCONNECTED), Timeout.seconds(10));
      if (answer.contains(DATA_AVAILABLE)) {
        return "ACCEPTED";
      }
      return answer.contains(REMOTE_DISCONNECTED) ? "CLOSED by the server" : "TIMEOUT";
    } catch (NoLocalServerException e) {
      return "NOSERVER " + e.getMessage();
    } catch (IpcException e) {
      return "REFUSED " + e.getMessage();
    }
  }
}
