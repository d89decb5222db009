package io.bbipc;

import java.nio.file.Path;

/** A stream over a local (Unix domain) socket. */
public interface LocalStream extends StreamSocket {
  /**
   * Returns the server's path, on both the connecting and the accepted end.
   *
   * @return the socket file's path
   */
  Path localPathname();
}
