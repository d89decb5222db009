package io.bbipc.internal;

import io.bbipc.IpcException;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.Set;

/**
 * Socket files that never clobber and are never wider than their owner: a server binds in a
 * fresh directory only its user may enter (or under a random name, where that would be too
 * long), sets the socket's mode, then hard-links it into place, which fails rather than replaces
 * when anything is already there.
 */
final class SocketFiles {
  /** The longest path, in bytes, that every transport binds on this OS (the JDK's limit is the lowest). */
  static final int MAX_PATH_BYTES = maxPathBytes();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String PRIVATE_DIR_PREFIX = ".bbipc-";
  private static final char[] NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  private SocketFiles() {
  }

  private static int maxPathBytes() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    // sun_path is 104 bytes on macOS and the BSDs, 108 on Linux; the JDK keeps one for the NUL
    // and refuses one more on Linux (measured: 106 binds, 107 does not).
    return os.contains("mac") || os.contains("bsd") ? 103 : 106;
  }

  /** Refuses a path the socket layer cannot bind, before any I/O. */
  static void checkLength(Path path) {
    int bytes = encodedLength(path);
    if (bytes > MAX_PATH_BYTES) {
      throw new IllegalArgumentException("local socket path is " + bytes
          + " bytes long, over the limit of " + MAX_PATH_BYTES + " bytes: " + path);
    }
    if (bytes == 0) {
      throw new IllegalArgumentException("local socket path is empty");
    }
  }

  static int encodedLength(Path path) {
    Charset charset;
    try {
      charset = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
    } catch (RuntimeException unknown) {
      charset = StandardCharsets.UTF_8;
    }
    return path.toString().getBytes(charset).length;
  }

  /** Throws unless nothing at all, not even a dangling link, is at {@code path}. */
  static void checkAbsent(Path path) throws IpcException {
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      throw new IpcException("cannot make a local server at " + path + ": " + describe(path)
          + " already exists there", null);
    }
  }

  private static String describe(Path path) {
    try {
      BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return a.isSymbolicLink() ? "a link" : a.isDirectory() ? "a directory"
          : a.isRegularFile() ? "a regular file" : "a socket or other special file";
    } catch (IOException e) {
      return "a file";
    }
  }

  /**
   * Removes {@code path} if it is a socket file whose server is gone (a connection to it is
   * refused); anything else there stays and makes this throw.
   */
  static void reclaimIfStale(Path path) throws IpcException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!isSocket(path)) {
      checkAbsent(path);
    }
    boolean live;
    try (java.nio.channels.SocketChannel probe = java.nio.channels.SocketChannel.open(
        java.net.StandardProtocolFamily.UNIX)) {
      live = probe.connect(java.net.UnixDomainSocketAddress.of(path));
    } catch (java.net.ConnectException refused) {
      live = false;
    } catch (IOException e) {
      throw new IpcException("cannot make a local server at " + path
          + ": cannot tell whether the socket file there is stale: " + e, null, e);
    }
    if (live) {
      throw new IpcException("cannot make a local server at " + path
          + ": a live server is listening there", null);
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
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther();
      } catch (IOException e) {
        return false;
      }
    }
  }

  /** A random name beside {@code path}, no longer than its own name where possible. */
  static Path temporarySibling(Path path) {
    String name = path.getFileName().toString();
    Path sibling = path.resolveSibling("." + randomName(Math.max(4, name.length() - 1)));
    if (encodedLength(sibling) > MAX_PATH_BYTES) {
      throw new IllegalArgumentException("local socket path " + path + " leaves no room for the "
          + "temporary name bbipc binds first; the limit is " + MAX_PATH_BYTES + " bytes");
    }
    return sibling;
  }

  /**
   * Gives the freshly bound {@code temporary} owner-only permissions and links it in at
   * {@code path}; the temporary name is removed either way.
   *
   * @return the file key of the socket file now at {@code path}
   */
  /**
   * Where to bind before publishing: a socket in a new directory beside {@code path} that only
   * this user may enter, so nobody can connect under the process umask's mode in the moment
   * before the chmod; the random sibling name when that path would be too long or the file
   * system has no POSIX permissions.
   */
  static Path stage(Path path, Path sibling) {
    Path dir = path.resolveSibling(PRIVATE_DIR_PREFIX + randomName(6));
    Path staged = dir.resolve("s");
    if (encodedLength(staged) > MAX_PATH_BYTES) {
      return sibling;
    }
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
          EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
              PosixFilePermission.OWNER_EXECUTE)));
      return staged;
    } catch (UnsupportedOperationException | IOException noPrivateDir) {
      return sibling;
    }
  }

  /** Removes what {@link #stage} made, bound or not. */
  static void discard(Path temporary) {
    try {
      Files.deleteIfExists(temporary);
      Path dir = temporary.getParent();
      if (dir != null && dir.getFileName().toString().startsWith(PRIVATE_DIR_PREFIX)) {
        Files.deleteIfExists(dir);
      }
    } catch (IOException ignored) {
      // a random name harms nobody; nothing else to do
    }
  }

  private static String randomName(int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append(NAME_CHARS[RANDOM.nextInt(NAME_CHARS.length)]);
    }
    return b.toString();
  }

  static Object publish(Path temporary, Path path, Set<PosixFilePermission> mode) throws IpcException {
    try {
      try {
        Files.setPosixFilePermissions(temporary, mode);
      } catch (UnsupportedOperationException noPosix) {
        // Windows: the file's ACL is inherited from the directory; nothing to narrow here
      }
      try {
        Files.createLink(path, temporary);
      } catch (FileAlreadyExistsException taken) {
        throw new IpcException("cannot make a local server at " + path + ": " + describe(path)
            + " already exists there", null, taken);
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
  static Path pathOf(java.net.SocketAddress address) {
    String path = null;
    if (address instanceof java.net.UnixDomainSocketAddress) {
      path = ((java.net.UnixDomainSocketAddress) address).getPath().toString();
    } else if (address instanceof io.netty.channel.unix.DomainSocketAddress) {
      path = ((io.netty.channel.unix.DomainSocketAddress) address).path();
    }
    return path == null || path.isEmpty() ? null : Path.of(path);
  }

  static Object fileKey(Path path) throws IOException {
    Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    // Without file keys (some Windows file systems) the time of creation has to do.
    return key != null ? key : Files.readAttributes(path, BasicFileAttributes.class,
        LinkOption.NOFOLLOW_LINKS).creationTime();
  }

  /** Deletes {@code path} only if it is still the file with {@code key}. */
  static void deleteIfOwn(Path path, Object key) {
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
