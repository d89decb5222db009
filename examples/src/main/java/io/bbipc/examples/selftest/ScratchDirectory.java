package io.bbipc.examples.selftest;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Holds the temporary directory the local sockets go in, or why it could not be made. */
final class ScratchDirectory {
  /** Null when it could not be made. */
  final Path path;

  /** Why it could not be made; null when it was. */
  final String problem;

  /** Makes the holder of a directory or of the reason there is none. */
  private ScratchDirectory(Path path, String problem) {
    this.path = path;
    this.problem = problem;
  }

  /** Makes a new temporary directory in {@code parent}, or the system's if null. */
  static ScratchDirectory make(Path parent) {
    try {
      return new ScratchDirectory(
          parent == null
              ? Files.createTempDirectory("bbipc-selftest")
              : Files.createTempDirectory(parent, "bbipc-selftest"),
          null);
    } catch (IOException | RuntimeException e) {
      return new ScratchDirectory(null, Texts.describe(e));
    }
  }

  /** Returns the line of the report that says where the local sockets go. */
  String describe() {
    return path != null
        ? "local sockets in " + path + ", removed at the end"
        : "local sockets: cannot make a temporary directory: " + problem;
  }

  /**
   * Deletes what checks that gave up left behind, noting each, then the directory; returns why it
   * could not, or null.
   */
  String remove(List<String> notes) {
    if (path == null) {
      return null;
    }
    try {
      try (DirectoryStream<Path> left = Files.newDirectoryStream(path)) {
        for (Path file : left) {
          notes.add("removed " + file + ", left behind by a check");
          Files.deleteIfExists(file);
        }
      }
      Files.delete(path);
      return null;
    } catch (IOException | RuntimeException e) {
      return "cannot remove the temporary directory " + path + ": " + Texts.describe(e);
    }
  }
}
