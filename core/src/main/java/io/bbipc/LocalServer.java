package io.bbipc;

import java.nio.file.Path;

/** A server listening on a local (Unix domain) socket file. */
public interface LocalServer extends StreamServer {
  /**
   * Returns the path the server listens on.
   *
   * @return the socket file's path, as given to {@code makeLocalServer}
   */
  Path localPathname();

  @Override
  LocalStream acceptConnection() throws IpcException;
}
