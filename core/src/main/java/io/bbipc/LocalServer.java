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

  /**
   * Returns how many connections were closed unaccepted because their user id was not in {@link
   * ServerOptions#allowedPeerUids}.
   *
   * @return the count since the server was made
   */
  long rejectedConnections();
}
