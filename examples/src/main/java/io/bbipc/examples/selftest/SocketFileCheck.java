package io.bbipc.examples.selftest;

import static io.bbipc.SocketEvent.CONNECTION_AVAILABLE;

import io.bbipc.IpcException;
import io.bbipc.LocalServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/** Checks that a local server's file is private, replaces nothing and goes when it closes. */
final class SocketFileCheck implements Check {
  /** Makes a local server, checks its file's mode, tries to replace files, then closes it. */
  @Override
  public Result run(Probe probe) throws Exception {
    Row row = probe.row;
    if (row.kind != Kind.LOCAL) {
      return Result.na(row.kind.isTcp() ? "local only" : "no file");
    }
    Path path = row.newPath("s");
    LocalServer server = probe.keep(row.ipc.makeLocalServer(path));
    PosixFileAttributes attributes;
    try {
      attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException e) {
      return Result.na("no POSIX file modes here");
    }
    requireOwnerOnly(path, attributes);

    refuseToReplace(probe, path, "a live server's socket");
    // The live server still has its file: a client still gets through to it.
    probe.keep(row.ipc.connectToLocalServer(path));
    probe.await(
        server,
        EnumSet.of(CONNECTION_AVAILABLE),
        "a connection to the first server after the second failed");

    refuseToReplaceRegularFile(probe);

    server.close();
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      throw new CheckFailure("left after close(): the socket file " + path);
    }
    return Result.ok();
  }

  /** Throws unless the file at {@code path} is a socket that only its owner may read and write. */
  private static void requireOwnerOnly(Path path, PosixFileAttributes attributes)
      throws CheckFailure {
    Set<PosixFilePermission> ownerOnly =
        EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    if (!attributes.isOther() || !attributes.permissions().equals(ownerOnly)) {
      throw new CheckFailure(
          (attributes.isOther() ? "" : "not a socket, ")
              + "mode "
              + PosixFilePermissions.toString(attributes.permissions())
              + ", not rw-------: "
              + path);
    }
  }

  /** Tries a server at a regular file's path and throws unless the file is left as it was. */
  private static void refuseToReplaceRegularFile(Probe probe) throws Exception {
    Path file = probe.row.newPath("file");
    byte[] content =
        ("bbipc selftest: this file must stay as it is, " + System.nanoTime())
            .getBytes(StandardCharsets.UTF_8);
    Files.write(file, content);
    try {
      refuseToReplace(probe, file, "a regular file");
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
          || !Arrays.equals(Files.readAllBytes(file), content)) {
        throw new CheckFailure(
            "clobbered a regular file: the failed makeLocalServer changed " + file);
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** Tries a server at {@code path} and throws unless making it fails. */
  private static void refuseToReplace(Probe probe, Path path, String what) throws CheckFailure {
    try {
      probe.keep(probe.row.ipc.makeLocalServer(path));
    } catch (IpcException expected) {
      return;
    }
    throw new CheckFailure(
        "clobbered "
            + what
            + ": makeLocalServer("
            + path
            + ") made a server, not "
            + "IpcException");
  }
}
