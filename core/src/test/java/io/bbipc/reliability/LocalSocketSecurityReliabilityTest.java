package io.bbipc.reliability;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.LocalServer;
import io.bbipc.LocalStream;
import io.bbipc.ServerOptions;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.OverLocalFixtures;
import io.bbipc.conformance.PerFixture;
import io.bbipc.conformance.Streams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue items 9 to 12, what {@code SecurityConformanceTest} and {@code ServerConformanceTest} do
 * not already cover: nothing at a path is ever touched, not even with {@code reclaimStaleSocket}
 * (directories, links to sockets live or stale); a server deletes only its own file, never one that
 * replaced it, and no client ever deletes it; the socket path is never seen wider than its mode; a
 * client running as another user is refused by the mode, and by {@code allowedPeerUids} where the
 * transport knows peer credentials; the path limit is one byte count, checked before any I/O, on
 * every transport.
 */
public class LocalSocketSecurityReliabilityTest {
  private static final String SCENARIO = "9-12 local-socket security";
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  @TempDir Path dir;

  static List<Fixture> localServers() {
    return Fixture.sameTransport().stream().filter(f -> f.kind() == Fixture.Kind.LOCAL).toList();
  }

  /** What identifies a path's entry without following links: its key, kind and target. */
  private static String identity(Path p) throws IOException {
    BasicFileAttributes a =
        Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    String s =
        a.fileKey()
            + " "
            + (a.isSymbolicLink()
                ? "link->" + Files.readSymbolicLink(p)
                : a.isDirectory() ? "dir" : a.isRegularFile() ? "file" : "other");
    if (a.isRegularFile()) {
      s += " " + Files.readString(p);
    }
    return s;
  }

  private static List<Path> list(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.sorted().toList();
    }
  }

  @PerFixture
  @MethodSource("localServers")
  void nothingAtThePathIsTouchedEvenWhenReclaimingStaleSockets(Fixture f) throws Exception {
    Ipc ipc = f.serverIpc();
    ServerOptions reclaim = ServerOptions.defaults().reclaimStaleSocket(true);
    Path stale = dir.resolve("stale.sock");
    ipc.makeLocalServer(stale, ServerOptions.defaults().deleteOnClose(false)).close();
    try (LocalServer live = ipc.makeLocalServer(dir.resolve("live.sock"))) {
      Map<String, Path> cases = new LinkedHashMap<>();
      cases.put("a regular file", Files.writeString(dir.resolve("file"), "data"));
      cases.put("a directory", Files.createDirectory(dir.resolve("directory")));
      cases.put(
          "a link to a stale socket", Files.createSymbolicLink(dir.resolve("to-stale"), stale));
      cases.put(
          "a link to a live socket",
          Files.createSymbolicLink(dir.resolve("to-live"), live.localPathname()));
      cases.put(
          "a dangling link",
          Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("nowhere")));
      cases.put("a live socket", live.localPathname());
      List<Path> before = list(dir);
      Map<Path, String> identities = new HashMap<>();
      for (Path p : before) {
        identities.put(p, identity(p));
      }
      List<String> refused = new ArrayList<>();
      for (Map.Entry<String, Path> c : cases.entrySet()) {
        IpcException e =
            assertThrows(
                IpcException.class,
                () -> ipc.makeLocalServer(c.getValue(), reclaim),
                c.getKey() + " with reclaimStaleSocket(true)");
        assertTrue(e.getMessage().contains(c.getValue().toString()), e.getMessage());
        refused.add(c.getKey());
      }
      // a stale socket is left alone unless reclaiming was asked for
      assertThrows(IpcException.class, () -> ipc.makeLocalServer(stale));
      refused.add("a stale socket (without reclaim)");
      assertEquals(
          before, list(dir), "entries were added or removed (a temporary name left behind?)");
      for (Path p : before) {
        assertEquals(identities.get(p), identity(p), p + " was changed");
      }
      // and the live server still answers through its file
      try (LocalStream c = f.clientIpc().connectToLocalServer(live.localPathname())) {
        assertTrue(live.poll(CONNECTION_AVAILABLE, Fixture.WAIT));
        live.acceptConnection().close();
      }
      Rel.figure(SCENARIO, f, "9 refused and left untouched", String.join(", ", refused));
    }
  }

  @OverLocalFixtures
  void aServerDeletesOnlyItsOwnFileAndNoClientEverDeletesIt(Fixture f) throws Exception {
    Path p = dir.resolve("own.sock");
    LocalServer first = f.serverIpc().makeLocalServer(p);
    Files.delete(p); // someone removes it, and another server takes the path
    try (LocalServer second = f.serverIpc().makeLocalServer(p)) {
      String key = identity(p);
      first.close();
      assertEquals(
          key, identity(p), "closing the first server removed the second server's socket file");
      // clients of every kind come and go, and their runtime closes: the file stays
      try (Ipc clientIpc = f.builder(f.clientTransport()).build()) {
        LocalStream client = clientIpc.connectToLocalServer(p);
        assertTrue(second.poll(CONNECTION_AVAILABLE, Fixture.WAIT));
        LocalStream accepted = second.acceptConnection();
        assertTrue(client.poll(CONNECTION_SUCCEEDED, Fixture.WAIT));
        client.close();
        accepted.close();
        clientIpc.connectToLocalServer(p); // left open for Ipc.close()
      }
      assertEquals(key, identity(p), "a client removed the server's socket file");
      try (LocalStream again = f.clientIpc().connectToLocalServer(p)) {
        assertTrue(
            second.poll(CONNECTION_AVAILABLE, Fixture.WAIT),
            "the server no longer answers at its path");
      }
    }
    assertFalse(
        Files.exists(p, LinkOption.NOFOLLOW_LINKS),
        "the second server did not remove its own file");
    Rel.figure(
        SCENARIO,
        f,
        "9 on close",
        "a replaced file was kept, clients never removed it, the owner did");
  }

  @PerFixture
  @MethodSource("localServers")
  void theSocketPathIsNeverSeenWiderThanItsMode(Fixture f) throws Exception {
    Assumptions.assumeTrue(
        Files.getFileStore(dir).supportsFileAttributeView("posix"), "no POSIX permissions here");
    Path p = dir.resolve("mode.sock");
    int servers = Rel.size(200, 2000);
    AtomicInteger looks = new AtomicInteger();
    AtomicInteger seen = new AtomicInteger();
    AtomicInteger tempSeen = new AtomicInteger();
    AtomicReference<String> wider = new AtomicReference<>();
    AtomicReference<String> widestTemp = new AtomicReference<>("none seen");
    Thread watcher =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                looks.incrementAndGet();
                try {
                  Set<PosixFilePermission> mode =
                      Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                  seen.incrementAndGet();
                  if (!OWNER_ONLY.containsAll(mode)) {
                    wider.compareAndSet(null, PosixFilePermissions.toString(mode));
                  }
                } catch (NoSuchFileException between) {
                  // no server at the moment
                } catch (IOException e) {
                  wider.compareAndSet(null, e.toString());
                }
                try (Stream<Path> entries = Files.list(dir)) {
                  for (Path e : (Iterable<Path>) entries::iterator) {
                    if (e.getFileName().toString().startsWith(".")) {
                      try {
                        Set<PosixFilePermission> mode =
                            Files.getPosixFilePermissions(e, LinkOption.NOFOLLOW_LINKS);
                        tempSeen.incrementAndGet();
                        if (!OWNER_ONLY.containsAll(mode)) {
                          widestTemp.set(PosixFilePermissions.toString(mode));
                        }
                      } catch (IOException gone) {
                        // renamed or removed meanwhile
                      }
                    }
                  }
                } catch (IOException ignored) {
                  // the directory changed under the listing
                }
              }
            },
            "reliability-mode-watcher");
    watcher.setDaemon(true);
    watcher.start();
    try {
      for (int i = 0; i < servers; i++) {
        try (LocalServer s = f.serverIpc().makeLocalServer(p)) {
          // keep it until the watcher has looked at it at least once (bounded)
          int before = seen.get();
          long until = Streams.deadline(1);
          while (seen.get() == before && !Streams.passed(until)) {
            Thread.onSpinWait();
          }
        }
      }
    } finally {
      watcher.interrupt();
      watcher.join(10_000);
    }
    Rel.figure(
        SCENARIO,
        f,
        "10 " + servers + " servers made and closed while a thread watched the path",
        looks.get()
            + " looks, the socket file seen "
            + seen.get()
            + " times, never wider than rw------- "
            + (wider.get() == null ? "(held)" : "(BROKEN: " + wider.get() + ")")
            + "; the temporary bind name seen "
            + tempSeen.get()
            + " times, widest "
            + widestTemp.get());
    assertEquals(null, wider.get(), "the socket path was seen with a wider mode");
  }

  // ---------------------------------------------------------------- another user

  @OverLocalFixtures
  void aClientRunningAsAnotherUserIsRefusedByTheSocketFileMode(Fixture f) throws Exception {
    String unavailable = OtherUser.unavailable();
    Assumptions.assumeTrue(unavailable == null, unavailable);
    boolean credentials = Fixture.provider(f.serverTransport()).hasPeerCredentials();
    try (OtherUser.Servers servers = new OtherUser.Servers(f)) {
      LocalServer privateServer = servers.add("private", ServerOptions.defaults());
      LocalServer open =
          servers.add("open", ServerOptions.defaults().socketFileMode(OtherUser.WORLD));
      LocalServer allowed =
          credentials
              ? servers.add(
                  "allowed",
                  ServerOptions.defaults()
                      .socketFileMode(OtherUser.WORLD)
                      .allowedPeerUids(OtherUser.UID))
              : null;
      Map<String, String> results = servers.runClient(dir.resolve("uid.err"));
      Rel.figure(SCENARIO, f, "10 a client running as uid " + OtherUser.UID, results.toString());
      String refusal = results.get("private");
      assertTrue(
          refusal.startsWith("REFUSED") && refusal.contains("ermission"),
          "a 0600 socket file let uid " + OtherUser.UID + " in: " + refusal);
      assertEquals(
          "ACCEPTED", results.get("open"), "control: a 0666 socket file must let that user in");
      if (credentials) {
        assertEquals(
            OtherUser.UID, servers.peerUid(open), "the peer credentials of the other user");
        assertEquals("ACCEPTED", results.get("allowed"), "a uid in allowedPeerUids was refused");
        assertEquals(OtherUser.UID, servers.peerUid(allowed));
        assertEquals(0, allowed.rejectedConnections());
      } else {
        assertEquals(
            null, servers.peerUid(open), f.serverTransport() + " reports no peer credentials");
      }
      assertEquals(0, privateServer.rejectedConnections());
    }
  }

  // ---------------------------------------------------------------- path limits

  @OverLocalFixtures
  void thePathLimitIsOneByteCountCheckedBeforeAnyIo(Fixture f) throws Exception {
    int limit =
        System.getProperty("os.name", "")
                .toLowerCase(java.util.Locale.ROOT)
                .matches(".*(mac|bsd).*")
            ? 103
            : 106;
    String base = dir.toString() + "/";
    int room = limit - base.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    Assumptions.assumeTrue(
        room >= 8, "the temporary directory's path " + base + " leaves no room for a name");
    Path atLimit = Path.of(base + "a".repeat(room));
    Path overByOne = Path.of(base + "b".repeat(room + 1));
    // one byte over in bytes, but not in characters: 'é' is two bytes in UTF-8
    Path overInBytes = Path.of(base + "é" + "c".repeat(room - 1));
    assertEquals(
        limit, atLimit.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    try (LocalServer server = f.serverIpc().makeLocalServer(atLimit);
        LocalStream client = f.clientIpc().connectToLocalServer(atLimit)) {
      assertTrue(
          server.poll(CONNECTION_AVAILABLE, Fixture.WAIT),
          "a " + limit + "-byte path did not work");
      assertTrue(client.poll(CONNECTION_SUCCEEDED, Fixture.WAIT));
      server.acceptConnection().close();
    }
    List<Path> before = list(dir);
    List<String> messages = new ArrayList<>();
    for (Path p : List.of(overByOne, overInBytes)) {
      boolean utf8 = "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding", "UTF-8"));
      if (p == overInBytes && !utf8) {
        continue;
      }
      int bytes = p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      for (boolean server : new boolean[] {true, false}) {
        IllegalArgumentException e =
            assertThrows(
                IllegalArgumentException.class,
                () -> {
                  if (server) {
                    f.serverIpc().makeLocalServer(p).close();
                  } else {
                    f.clientIpc().connectToLocalServer(p).close();
                  }
                },
                (server ? "makeLocalServer" : "connectToLocalServer")
                    + " with a "
                    + bytes
                    + "-byte path");
        assertTrue(
            e.getMessage().contains(String.valueOf(bytes))
                && e.getMessage().contains(String.valueOf(limit)),
            "the message must give the length "
                + bytes
                + " and the limit "
                + limit
                + ": "
                + e.getMessage());
        messages.add(e.getMessage());
      }
    }
    assertEquals(before, list(dir), "a refused path touched the directory");
    Rel.figure(
        SCENARIO,
        f,
        "12 path limit",
        limit
            + " bytes bind and connect; "
            + (limit + 1)
            + " bytes (ASCII, and fewer characters with a 2-byte one) refused before any I/O: \""
            + messages.get(0)
            + "\"");
  }
}
