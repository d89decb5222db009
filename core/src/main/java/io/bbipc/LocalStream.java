package io.bbipc;

import java.nio.file.Path;
import java.util.Optional;

/** A stream over a local (Unix domain) socket. */
public interface LocalStream extends StreamSocket {
  /**
   * Returns the server's path, on both the connecting and the accepted end.
   *
   * @return the socket file's path
   */
  Path localPathname();

  /**
   * Returns the identity of the process at the other end, as the kernel reported it when the
   * connection was made.
   *
   * @return the credentials; empty on transports that cannot tell (NIO) or before connecting
   */
  Optional<PeerCredentials> peerCredentials();
}
