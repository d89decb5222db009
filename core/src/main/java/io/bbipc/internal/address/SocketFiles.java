package io.bbipc.internal.address;

import io.bbipc.IpcException;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Socket files that never clobber and are never wider than their owner: a server binds in a fresh
 * directory only its user may enter (through a short link to it, where its path would be too long
 * to bind), sets the socket's mode, then hard-links it into place, which fails rather than replaces
 * when anything is already there.
 */
public final class SocketFiles {
  /**
   * The longest path, in bytes, that every transport binds on this OS (the JDK's limit is the
   * lowest).
   */
  private static final int MAX_PATH_BYTES = maxPathBytes();

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String PRIVATE_DIR_PREFIX = ".bbipc-";
  private static final char[] NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(
          EnumSet.of(
              PosixFilePermission.OWNER_READ,
              PosixFilePermission.OWNER_WRITE,
              PosixFilePermission.OWNER_EXECUTE));

  /** What {@link #stage} made for each staged path, to remove after the socket is published. */
  private static final Map<Path, List<Path>> MADE = new ConcurrentHashMap<>();

  private SocketFiles() {}

  private static int maxPathBytes() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    // sun_path is 104 bytes on macOS and the BSDs, 108 on Linux; the JDK keeps one for the NUL
    // and refuses one more on Linux (measured: 106 binds, 107 does not).
    return os.contains("mac") || os.contains("bsd") ? 103 : 106;
  }

  /** Refuses a path the socket layer cannot bind, before any I/O. */
  public static void checkLength(Path path) {
    int bytes = encodedLength(path);
    if (bytes > MAX_PATH_BYTES) {
      throw new IllegalArgumentException(
          "local socket path is "
              + bytes
              + " bytes long, over the limit of "
              + MAX_PATH_BYTES
              + " bytes: "
              + path);
    }
    if (bytes == 0) {
      throw new IllegalArgumentException("local socket path is empty");
    }
  }

  private static int encodedLength(Path path) {
    Charset charset;
    try {
      charset = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
    } catch (RuntimeException unknown) {
      charset = StandardCharsets.UTF_8;
    }
    return path.toString().getBytes(charset).length;
  }

  /** Throws unless nothing at all, not even a dangling link, is at {@code path}. */
  public static void checkAbsent(Path path) throws IpcException {
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      throw new IpcException(
          "cannot make a local server at " + path + ": " + describe(path) + " already exists there",
          null);
    }
  }

  private static String describe(Path path) {
    try {
      BasicFileAttributes a =
          Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return a.isSymbolicLink()
          ? "a link"
          : a.isDirectory()
              ? "a directory"
              : a.isRegularFile() ? "a regular file" : "a socket or other special file";
    } catch (IOException e) {
      return "a file";
    }
  }

  /**
   * Removes {@code path} if it is a socket file whose server is gone (a connection to it is
   * refused); anything else there stays and makes this throw.
   */
  public static void reclaimIfStale(Path path) throws IpcException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!isSocket(path)) {
      checkAbsent(path);
    }
    boolean live;
    try (java.nio.channels.SocketChannel probe =
        java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      live = probe.connect(java.net.UnixDomainSocketAddress.of(path));
    } catch (java.net.ConnectException refused) {
      live = false;
    } catch (IOException e) {
      throw new IpcException(
          "cannot make a local server at "
              + path
              + ": cannot tell whether the socket file there is stale: "
              + e,
          null,
          e);
    }
    if (live) {
      throw new IpcException(
          "cannot make a local server at " + path + ": a live server is listening there", null);
    }
    try {
      Files.delete(path);
    } catch (NoSuchFileException gone) {
      // someone else reclaimed it first
    } catch (IOException e) {
      throw new IpcException("cannot remove the stale socket file " + path + ": " + e, null, e);
    }
  }

  private static boolean isSocket(Path path) {
    try {
      Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return mode instanceof Integer && (((Integer) mode) & 0170000) == 0140000;
    } catch (UnsupportedOperationException | IllegalArgumentException | IOException noUnixView) {
      try {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
            .isOther();
      } catch (IOException e) {
        return false;
      }
    }
  }

  /**
   * A random name beside {@code path}, the last resort of {@link #stage}, never longer than the
   * limit allows; also refuses, before any I/O, a path that names no file a socket could be.
   */
  public static Path temporarySibling(Path path) {
    Path file = path.getFileName();
    String name = file == null ? "" : file.toString();
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException(
          "local socket path "
              + path
              + " names a directory, not "
              + "a socket file: it ends in "
              + (name.isEmpty() ? "the root" : "\"" + name + "\""));
    }
    // as long as the name, or 9 bytes where the limit leaves room: a dot and 8 random characters
    int room = MAX_PATH_BYTES - (encodedLength(path) - encodedLength(file));
    int length = Math.min(Math.max(encodedLength(file), 9), room);
    return path.resolveSibling(length == 1 ? randomName(1) : "." + randomName(length - 1));
  }

  /**
   * Where to bind before publishing: a socket {@code s} in a new directory beside {@code path} that
   * only this user may enter, so nobody can connect under the process umask's mode in the moment
   * before the chmod. Where that is longer than the limit (a short name near it), the socket still
   * goes in that directory, reached through a link {@code d} in a second private directory under
   * the temporary directory, so the path bound is short and the socket is on {@code path}'s file
   * system, as the hard link needs. Only where neither can be made (no POSIX permissions, no links)
   * is it bound at the random {@code sibling} name.
   */
  public static Path stage(Path path, Path sibling) {
    Path dir = path.resolveSibling(PRIVATE_DIR_PREFIX + randomName(6));
    try {
      Files.createDirectory(dir, OWNER_ONLY);
    } catch (UnsupportedOperationException | IOException noPrivateDir) {
      return sibling;
    }
    Path staged = dir.resolve("s");
    if (encodedLength(staged) <= MAX_PATH_BYTES) {
      MADE.put(staged, List.of(dir));
      return staged;
    }
    Path shortcut = shortcutTo(dir);
    if (shortcut == null) {
      deleteQuietly(dir);
      return sibling;
    }
    staged = shortcut.resolve("s");
    MADE.put(staged, List.of(shortcut, dir, shortcut.getParent()));
    return staged;
  }

  /**
   * A link to {@code dir} in a new private directory under the temporary directory; null if none
   * fits.
   */
  private static Path shortcutTo(Path dir) {
    Path holder;
    try {
      Path tmp = Path.of(System.getProperty("java.io.tmpdir", "/tmp")).toAbsolutePath();
      holder = tmp.resolve(PRIVATE_DIR_PREFIX + randomName(6));
      if (encodedLength(holder.resolve("d").resolve("s")) > MAX_PATH_BYTES) {
        return null;
      }
      Files.createDirectory(holder, OWNER_ONLY);
    } catch (UnsupportedOperationException
        | InvalidPathException
        | SecurityException
        | IOException noHolder) {
      return null;
    }
    // the holder is this user's alone, so nobody can swap the link for one to elsewhere
    Path link = holder.resolve("d");
    try {
      Files.createSymbolicLink(link, dir.toAbsolutePath());
      return link;
    } catch (UnsupportedOperationException | IOException | SecurityException noLinks) {
      deleteQuietly(holder);
      return null;
    }
  }

  /** Removes what {@link #stage} made, bound or not. */
  public static void discard(Path temporary) {
    deleteQuietly(temporary);
    List<Path> made = MADE.remove(temporary);
    if (made != null) {
      for (Path p : made) {
        deleteQuietly(p);
      }
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a random name in a private directory harms nobody; nothing else to do
    }
  }

  private static String randomName(int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append(NAME_CHARS[RANDOM.nextInt(NAME_CHARS.length)]);
    }
    return b.toString();
  }

  /**
   * Gives the freshly bound {@code temporary} owner-only permissions and links it in at {@code
   * path}; the temporary name, and what {@link #stage} made for it, is removed either way.
   *
   * @return the file key of the socket file now at {@code path}
   */
  public static Object publish(Path temporary, Path path, Set<PosixFilePermission> mode)
      throws IpcException {
    try {
      try {
        Files.setPosixFilePermissions(temporary, mode);
      } catch (UnsupportedOperationException noPosix) {
        // Windows: the file's ACL is inherited from the directory; nothing to narrow here
      }
      try {
        Files.createLink(path, temporary);
      } catch (FileAlreadyExistsException taken) {
        throw new IpcException(
            "cannot make a local server at "
                + path
                + ": "
                + describe(path)
                + " already exists there",
            null,
            taken);
      } catch (UnsupportedOperationException | FileSystemException noLinks) {
        // no hard links for sockets here: a move, which checks for an existing target first
        Files.move(temporary, path);
      }
      return fileKey(path);
    } catch (IOException e) {
      throw new IpcException("cannot make a local server at " + path + ": " + e, null, e);
    } finally {
      discard(temporary);
    }
  }

  /** The path of a Unix domain address of the JDK's or Netty's kind; null for an unnamed one. */
  public static Path pathOf(java.net.SocketAddress address) {
    String path = null;
    if (address instanceof java.net.UnixDomainSocketAddress) {
      path = ((java.net.UnixDomainSocketAddress) address).getPath().toString();
    } else if (address instanceof io.netty.channel.unix.DomainSocketAddress) {
      path = ((io.netty.channel.unix.DomainSocketAddress) address).path();
    }
    return path == null || path.isEmpty() ? null : Path.of(path);
  }

  private static Object fileKey(Path path) throws IOException {
    Object key =
        Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    // Without file keys (some Windows file systems) the time of creation has to do.
    return key != null
        ? key
        : Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
            .creationTime();
  }

  /** Deletes {@code path} only if it is still the file with {@code key}. */
  public static void deleteIfOwn(Path path, Object key) {
    try {
      if (key.equals(fileKey(path))) {
        Files.delete(path);
      }
    } catch (NoSuchFileException gone) {
      // someone removed it already
    } catch (IOException e) {
      // leaving a socket file behind is the lesser harm than failing close()
    }
  }
}
