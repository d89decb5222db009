package io.bbipc.conformance;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;
import static io.bbipc.SocketEvent.CONNECTION_SUCCEEDED;
import static io.bbipc.conformance.Fixture.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.bbipc.IpcException;
import io.bbipc.LocalServer;
import io.bbipc.StreamSocket;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Local server paths: every length up to the documented limit binds whatever the file name's
 * length, one byte more is refused naming the length, and odd paths give a clear exception.
 */
public class LocalPathConformanceTest {
  /** The README's limit: 106 bytes on Linux, 103 where sun_path is 104 bytes (macOS, BSD). */
  static final int LIMIT = limit();

  @TempDir Path dir;

  private static int limit() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    return os.contains("mac") || os.contains("bsd") ? 103 : 106;
  }

  private static int bytes(Path p) {
    return p.toString().getBytes(StandardCharsets.UTF_8).length;
  }

  /** {@code dir/<padding>/<name>}, exactly {@code length} bytes; the padding directory exists. */
  private static Path pathOfLength(Path dir, int length, String name) throws IOException {
    int pad = length - bytes(dir) - 2 - name.length();
    assertTrue(
        pad >= 1,
        "the temporary directory " + dir + " is too long to make a path of " + length + " bytes");
    // the padding names differ by the name's length, so no two cases share a directory
    Path padded =
        Files.createDirectories(dir.resolve((char) ('a' + name.length()) + "p".repeat(pad - 1)));
    Path p = padded.resolve(name);
    assertEquals(length, bytes(p));
    return p;
  }

  private static List<String> listing(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /**
   * Links left in this user's private staging directories under the temporary directory that point
   * into {@code d}; only this test makes links to there, so others' staging never counts.
   */
  private static List<Path> stagingLinksInto(Path d) throws IOException {
    List<Path> found = new ArrayList<>();
    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
    try (Stream<Path> entries = Files.list(tmp)) {
      for (Path holder :
          entries.filter(e -> e.getFileName().toString().startsWith(".bbipc-")).toList()) {
        Path link = holder.resolve("d");
        try {
          if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).startsWith(d)) {
            found.add(link);
          }
        } catch (IOException goneOrNotOurs) {
          // another process's staging, finished or unreadable: not this test's
        }
      }
    }
    return found;
  }

  /** A server at {@code p} that a client of the other transport reaches, and that cleans up. */
  private static void serveAndConnect(Fixture f, Path p) throws Exception {
    try (LocalServer server = f.serverIpc().makeLocalServer(p)) {
      assertEquals(p, server.localPathname());
      assertEquals(
          List.of(p.getFileName().toString()),
          listing(p.toAbsolutePath().getParent()),
          "the staging names are gone once the server is made");
      assertEquals(
          List.of(),
          stagingLinksInto(p.toAbsolutePath().getParent()),
          "a staging link outlived the making of the server");
      if (Files.getFileStore(p).supportsFileAttributeView("posix")) {
        assertEquals(
            PosixFilePermissions.fromString("rw-------"),
            Files.getPosixFilePermissions(p),
            "the socket file is wider than its default mode");
      }
      try (StreamSocket client = f.connect(server)) {
        assertTrue(server.poll(CONNECTION_AVAILABLE, WAIT), "no connection at " + p);
        try (StreamSocket accepted = server.acceptConnection()) {
          assertTrue(client.poll(CONNECTION_SUCCEEDED, WAIT), "the client did not connect to " + p);
        }
      }
    }
    assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS), p + " outlived its server");
  }

  @OverLocalFixtures
  void everyLengthUpToTheLimitBindsWhateverTheNamesLength(Fixture f) throws Exception {
    List<String> failures = new ArrayList<>();
    for (int length = LIMIT - 6; length <= LIMIT; length++) {
      for (int nameLength = 1; nameLength <= 5; nameLength++) {
        Path p = pathOfLength(dir, length, "abcde".substring(0, nameLength));
        try {
          serveAndConnect(f, p);
        } catch (IpcException | RuntimeException e) {
          failures.add(length + " bytes, name of " + nameLength + ": " + e);
        }
      }
    }
    assertEquals(List.of(), failures);
  }

  @OverLocalFixtures
  void oneByteOverTheLimitIsRefusedNamingTheLength(Fixture f) throws Exception {
    for (int nameLength = 1; nameLength <= 5; nameLength++) {
      Path p = pathOfLength(dir, LIMIT + 1, "abcde".substring(0, nameLength));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> f.serverIpc().makeLocalServer(p));
      assertTrue(e.getMessage().contains(String.valueOf(LIMIT + 1)), e.getMessage());
      assertEquals(List.of(), listing(p.getParent()), "a refused path left something behind");
    }
  }

  /** Paths that name no socket file, or a place where something already is. */
  static List<Object[]> oddPaths() {
    List<Object[]> cases = new ArrayList<>();
    for (Fixture f : Fixture.local()) {
      if (f.serverTransport().equals(f.clientTransport())) {
        for (String odd :
            List.of(
                "/",
                ".",
                "..",
                "ROOT/.",
                "ROOT/..",
                "ROOT/",
                "ROOT/sub/..",
                "ROOT/missing/..",
                "ROOT/missing/s.sock",
                "ROOT/sub",
                "ROOT/sub/")) {
          cases.add(new Object[] {f, odd});
        }
      }
    }
    return cases;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("oddPaths")
  void anOddPathGivesAnExceptionNamingIt(Fixture f, String odd) throws Exception {
    f.assumeAvailable();
    Files.createDirectory(dir.resolve("sub"));
    Path p = Path.of(odd.replace("ROOT", dir.toString()));
    Throwable e;
    try {
      LocalServer server = f.serverIpc().makeLocalServer(p);
      server.close();
      fail("made a local server at " + p + ": " + server);
      return;
    } catch (IpcException | IllegalArgumentException expected) {
      e = expected;
    } catch (RuntimeException wrong) {
      throw new AssertionError("makeLocalServer(" + p + ") threw " + wrong, wrong);
    }
    assertTrue(
        e.getMessage().contains(p.toString()),
        "message \"" + e.getMessage() + "\" does not name " + p);
    assertEquals(List.of("sub"), listing(dir), "something was left in " + dir);
    assertEquals(
        List.of(), listing(dir.resolve("sub")), "something was left in " + dir.resolve("sub"));
  }

  @OverLocalFixtures
  void aTrailingSlashNamesTheSameFile(Fixture f) throws Exception {
    // java.nio drops a trailing slash, so "dir/t.sock/" is the file t.sock
    Path p = Path.of(dir + "/t.sock/");
    assertEquals(dir.resolve("t.sock"), p);
    serveAndConnect(f, p);
  }

  @OverLocalFixtures
  void aRelativeNameWithoutAParentIsInTheWorkingDirectory(Fixture f) throws Exception {
    Path p = Path.of("bbipc-" + UUID.randomUUID().toString().substring(0, 8) + ".sock");
    assertEquals(null, p.getParent());
    Path cwd = Path.of("").toAbsolutePath();
    List<String> before = listing(cwd);
    try (LocalServer server = f.serverIpc().makeLocalServer(p)) {
      assertEquals(p, server.localPathname());
      assertTrue(Files.exists(cwd.resolve(p), LinkOption.NOFOLLOW_LINKS));
      try (StreamSocket client = f.connect(server)) {
        assertTrue(server.poll(CONNECTION_AVAILABLE, WAIT), "no connection at " + p);
        try (StreamSocket accepted = server.acceptConnection()) {
          assertTrue(client.poll(CONNECTION_SUCCEEDED, WAIT), "the client did not connect to " + p);
        }
      }
    } finally {
      Files.deleteIfExists(cwd.resolve(p));
    }
    assertEquals(before, listing(cwd), "the working directory kept something");
  }
}
