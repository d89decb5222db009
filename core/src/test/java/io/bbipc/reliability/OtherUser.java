package io.bbipc.reliability;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.DATA_AVAILABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bbipc.BasicBinaryIpc;
import io.bbipc.IpcSocket;
import io.bbipc.LocalServer;
import io.bbipc.LocalStream;
import io.bbipc.ServerOptions;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.Streams;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Runs {@link OtherUidClient} as another user (uid and gid 65534, "nobody") with util-linux's
 * {@code setpriv}, from a copy of the class path that user can read; or says why it cannot.
 */
final class OtherUser {
  static final int UID = 65534;
  static final Set<PosixFilePermission> WORLD = PosixFilePermissions.fromString("rw-rw-rw-");

  private static Path setpriv;
  private static String classPath;
  private static String unavailable;
  private static boolean probed;

  private OtherUser() {}

  /** Null when a JVM can run as {@link #UID}; otherwise the reason it cannot. */
  static synchronized String unavailable() throws Exception {
    if (probed) {
      return unavailable;
    }
    probed = true;
    setpriv =
        Stream.of("/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv")
            .map(Path::of)
            .filter(Files::isExecutable)
            .findFirst()
            .orElse(null);
    if (setpriv == null) {
      return unavailable =
          "setpriv (util-linux) is not installed, so no client can run as another user";
    }
    if (!Files.exists(Path.of("/proc/self"))) {
      return unavailable = "no /proc to learn this process's uid";
    }
    int me = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    if (me != 0) {
      return unavailable =
          "the tests run as uid " + me + ", not root: setpriv cannot switch to uid " + UID;
    }
    // the class path may live where that user cannot read (/root/.m2): copy it where it can
    Path copy = Files.createTempDirectory("bbipc-uid-classpath-");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(copy)));
    List<String> entries = new ArrayList<>();
    int i = 0;
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      Path from = Path.of(entry);
      if (Files.exists(from)) {
        Path to = copy.resolve((i++) + "-" + from.getFileName());
        copyTree(from, to);
        entries.add(to.toString());
      }
    }
    Files.walkFileTree(
        copy,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            return FileVisitResult.CONTINUE;
          }
        });
    classPath = String.join(java.io.File.pathSeparator, entries);
    try (Forked probe = Forked.start(command(List.of("probe")), copy.resolve("probe.err"))) {
      String line = probe.await("PROBE", 60);
      int exit = probe.waitFor(30);
      if (exit != 0 || !line.equals("PROBE uid=" + UID)) {
        unavailable =
            "a JVM started with setpriv as uid " + UID + " said \"" + line + "\", exit " + exit;
      }
    } catch (AssertionError cannot) {
      unavailable = "a JVM cannot start as uid " + UID + " with setpriv: " + cannot.getMessage();
    }
    return unavailable;
  }

  static List<String> command(List<String> args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(setpriv.toString(), "--reuid=" + UID, "--regid=" + UID, "--clear-groups"));
    cmd.addAll(Forked.command(classPath, OtherUidClient.class, List.of(), args));
    return cmd;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    if (!Files.isDirectory(from)) {
      Files.copy(from, to);
      return;
    }
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      System.out.println("note: could not remove " + root + ": " + e);
    }
  }

  /**
   * Local servers in a directory the other user may pass through (0711; a JUnit temporary directory
   * is 0700), served while that user's client tries each of them.
   */
  static final class Servers implements AutoCloseable {
    private final Fixture fixture;
    private final Path shared;
    private final Map<String, LocalServer> byLabel = new LinkedHashMap<>();
    private final Map<LocalServer, Integer> peerUids = new HashMap<>();

    Servers(Fixture f) throws IOException {
      this.fixture = f;
      this.shared = Files.createTempDirectory("bbipc-uid-");
      Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwx--x--x"));
    }

    LocalServer add(String label, ServerOptions options) throws Exception {
      LocalServer s = fixture.serverIpc().makeLocalServer(shared.resolve(label + ".sock"), options);
      byLabel.put(label, s);
      return s;
    }

    /** The uid the server saw on the connection it accepted, or null if it accepted none. */
    Integer peerUid(LocalServer s) {
      return peerUids.get(s);
    }

    /**
     * Runs the client (the fixture's client transport) as the other user against every server,
     * accepting and answering meanwhile; returns each label's result.
     */
    Map<String, String> runClient(Path stderr) throws Exception {
      List<String> args = new ArrayList<>(List.of(fixture.clientTransport()));
      byLabel.forEach((label, s) -> args.add(label + "=" + s.localPathname()));
      Map<String, String> results = new LinkedHashMap<>();
      List<StreamSocket> accepted = new ArrayList<>();
      try (Forked child = Forked.start(command(args), stderr)) {
        long deadline = Streams.deadline(60);
        while (results.size() < byLabel.size()) {
          Streams.checkDeadline(
              deadline,
              "the other user's client; results so far "
                  + results
                  + "; stderr "
                  + child.stderrText());
          for (LocalServer s : byLabel.values()) {
            while (s.connectionAvailable()) {
              LocalStream a = s.acceptConnection();
              a.peerCredentials().ifPresent(c -> peerUids.put(s, c.uid()));
              accepted.add(a);
            }
          }
          for (StreamSocket a : accepted) {
            if (a.dataAvailable()) {
              a.readFromStream(new byte[16]);
              a.writeToStream(new byte[] {'y'});
            }
          }
          List<String> lines = new ArrayList<>();
          for (String line = child.poll(); line != null; line = child.poll()) {
            lines.add(line);
          }
          if (!child.process.isAlive()) {
            lines.addAll(child.drain());
          }
          for (String line : lines) {
            if (line.startsWith("RESULT ")) {
              String[] parts = line.split(" ", 3);
              results.put(parts[1], parts[2]);
            }
          }
          if (!child.process.isAlive() && results.size() < byLabel.size()) {
            assertEquals(
                byLabel.size(),
                results.size(),
                "the client ended early: " + results + "; stderr " + child.stderrText());
          }
          List<IpcSocket> all = new ArrayList<>(byLabel.values());
          all.addAll(accepted);
          List<Set<SocketEvent>> events = new ArrayList<>();
          for (IpcSocket s : all) {
            events.add(
                s instanceof LocalServer
                    ? EnumSet.of(CONNECTION_AVAILABLE)
                    : EnumSet.of(DATA_AVAILABLE));
          }
          BasicBinaryIpc.pollSockets(all, events, Timeout.seconds(0.05));
        }
        assertEquals(0, child.waitFor(30), "the other user's client failed: " + child.stderrText());
      } finally {
        for (StreamSocket a : accepted) {
          a.close();
        }
      }
      return results;
    }

    @Override
    public void close() {
      for (LocalServer s : byLabel.values()) {
        s.close();
      }
      deleteTree(shared);
    }
  }
}
