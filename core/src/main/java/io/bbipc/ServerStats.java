package io.bbipc;

/**
 * What one server has accepted, at one moment: an immutable snapshot that {@link
 * StreamServer#stats()} takes without a lock.
 *
 * @param accepted connections accepted from the kernel and admitted
 * @param waiting accepted connections not yet taken with {@code acceptConnection} now
 * @param refused connections closed at once because their peer's uid is not in {@link
 *     ServerOptions#allowedPeerUids}
 */
public record ServerStats(long accepted, long waiting, long refused) {
  /** Nothing accepted. */
  public static final ServerStats ZERO = new ServerStats(0, 0, 0);

  /**
   * Adds another snapshot to this one, counter by counter.
   *
   * @param other the snapshot to add
   * @return the sums
   */
  public ServerStats plus(ServerStats other) {
    return new ServerStats(
        accepted + other.accepted, waiting + other.waiting, refused + other.refused);
  }
}
