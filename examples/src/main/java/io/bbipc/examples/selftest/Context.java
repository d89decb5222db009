package io.bbipc.examples.selftest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/** Holds what every row of one run shares. */
final class Context {
  final ExecutorService pool;

  /** Where the local sockets go, if it could be made. */
  final ScratchDirectory scratch;

  /** Null when it cannot be told. */
  final Integer uid;

  final byte[] payload;
  final String abstractPrefix;
  final AtomicInteger names = new AtomicInteger();

  /** Makes the context of a run on {@code pool} with local sockets in {@code scratch}. */
  Context(ExecutorService pool, ScratchDirectory scratch) {
    this.pool = pool;
    this.scratch = scratch;
    this.uid = ownUid(scratch.path);
    this.payload = payload();
    this.abstractPrefix =
        "bbipc-selftest-"
            + ProcessHandle.current().pid()
            + "-"
            + Long.toHexString(new Random().nextLong() & 0xffffffffL)
            + "-";
  }

  /**
   * Returns the effective uid, which peer credentials report: the owner the kernel gives a new
   * file, or on Linux the owner of /proc/self; null when neither tells.
   */
  private static Integer ownUid(Path directory) {
    List<Path> owned =
        directory == null
            ? List.of(Path.of("/proc/self"))
            : List.of(directory, Path.of("/proc/self"));
    for (Path path : owned) {
      try {
        // Links followed: /proc/self is one, to the process's own directory.
        return (Integer) Files.getAttribute(path, "unix:uid");
      } catch (IOException | RuntimeException e) {
        // try the next
      }
    }
    return null;
  }

  /** Returns the same pseudo-random bytes on every run, as many as the largest echo sends. */
  private static byte[] payload() {
    byte[] bytes = new byte[EchoCheck.LARGEST];
    new Random(0x5e1f7e57L).nextBytes(bytes);
    return bytes;
  }
}
