package io.bbipc;

import java.nio.file.Path;

/** Thrown by {@code connectToLocalServer} when no server listens at the given path. */
public class NoLocalServerException extends IpcException {
  private static final long serialVersionUID = 1L;

  /** The path that had no server; kept as a string because {@link Path} is not serializable. */
  private final String pathname;

  /**
   * Creates the exception for a path with no listening server.
   *
   * @param pathname the path that was connected to
   * @param cause the underlying failure, or null
   */
  public NoLocalServerException(Path pathname, Throwable cause) {
    super(
        "no local server listens at "
            + pathname
            + (cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")"),
        null,
        cause);
    this.pathname = pathname.toString();
  }

  /**
   * Returns the path that had no server.
   *
   * @return the path that was connected to
   */
  public Path pathname() {
    return Path.of(pathname);
  }
}
