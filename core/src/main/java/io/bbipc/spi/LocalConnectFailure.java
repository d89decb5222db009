package io.bbipc.spi;

/**
 * Why a connect to a local server failed, as {@link TransportProvider#localConnectFailure} tells
 * it; bbipc reports each one as the original library does.
 */
public enum LocalConnectFailure {
  /**
   * Nobody listens there: no socket file, a stale one, or not a socket ({@code
   * NoLocalServerException}).
   */
  NO_SERVER,
  /** The socket file, or a directory on its path, does not let this process in. */
  PERMISSION_DENIED,
  /** A server listens, but its backlog is full and the connect would have to wait. */
  BACKLOG_FULL
}
