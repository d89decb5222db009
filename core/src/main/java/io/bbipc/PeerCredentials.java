package io.bbipc;

/**
 * The identity of the process at the other end of a local socket, as the kernel reports it.
 *
 * @param pid the peer's process id
 * @param uid the peer's user id
 * @param gid the peer's group id
 */
public record PeerCredentials(int pid, int uid, int gid) {}
