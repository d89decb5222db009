package io.bbipc;

import io.netty.channel.ChannelPipeline;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Immutable options for {@code makeIpv4TcpServer}, {@code makeIpv6TcpServer}, {@code
 * makeLocalServer} and {@code makeAbstractLocalServer}; each setter returns a new instance.
 */
public final class ServerOptions {
  private static final Consumer<ChannelPipeline> NO_HANDLERS = p -> {};
  private static final Set<PosixFilePermission> OWNER_ONLY =
      Collections.unmodifiableSet(
          EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
  private static final ServerOptions DEFAULTS = new ServerOptions(new Values());

  /**
   * The options' values, with their defaults. Each setter changes a copy before the new options are
   * made of it, and none changes after: the options are immutable.
   */
  private static final class Values {
    boolean reuseAddress;
    int backlog = 128;
    boolean deleteOnClose = true;
    Consumer<ChannelPipeline> pipeline = NO_HANDLERS;
    boolean reclaimStaleSocket;
    Set<PosixFilePermission> socketFileMode = OWNER_ONLY;

    /** Null when every uid may connect. */
    Set<Integer> allowedPeerUids;

    boolean halfClosure;

    Values() {}

    Values(Values from) {
      reuseAddress = from.reuseAddress;
      backlog = from.backlog;
      deleteOnClose = from.deleteOnClose;
      pipeline = from.pipeline;
      reclaimStaleSocket = from.reclaimStaleSocket;
      socketFileMode = from.socketFileMode;
      allowedPeerUids = from.allowedPeerUids;
      halfClosure = from.halfClosure;
    }
  }

  private final Values values;

  private ServerOptions(Values values) {
    this.values = values;
  }

  /** These options with one value changed. */
  private ServerOptions with(Consumer<Values> change) {
    Values copy = new Values(values);
    change.accept(copy);
    return new ServerOptions(copy);
  }

  /**
   * Returns the defaults: no address reuse, a backlog of 128, local socket files deleted on close.
   *
   * @return the default options
   */
  public static ServerOptions defaults() {
    return DEFAULTS;
  }

  /**
   * Returns these options with {@code SO_REUSEADDR} set as given (TCP servers only).
   *
   * @param reuse whether a TCP server may bind a port that has connections in TIME_WAIT
   * @return the new options
   */
  public ServerOptions reuseAddress(boolean reuse) {
    return with(v -> v.reuseAddress = reuse);
  }

  /**
   * Returns these options with the given listen backlog.
   *
   * @param connections how many not-yet-accepted connections the kernel may queue, 1 or more
   * @return the new options
   * @throws IllegalArgumentException if {@code connections} is less than 1
   */
  public ServerOptions backlog(int connections) {
    if (connections < 1) {
      throw new IllegalArgumentException("backlog must be at least 1, was " + connections);
    }
    return with(v -> v.backlog = connections);
  }

  /**
   * Returns these options with a local server's socket file deleted, or kept, on close.
   *
   * @param delete whether {@code close()} removes the socket file if it is still the server's own
   * @return the new options
   */
  public ServerOptions deleteOnClose(boolean delete) {
    return with(v -> v.deleteOnClose = delete);
  }

  /**
   * Returns these options with handlers to install in every accepted connection's pipeline, before
   * bbipc's own buffering handler (TLS, compression, logging); it runs on the event loop after the
   * runtime's own pipeline initializer, if any.
   *
   * @param initializer adds handlers with {@code addLast}; must not block
   * @return the new options
   */
  public ServerOptions pipeline(Consumer<ChannelPipeline> initializer) {
    Objects.requireNonNull(initializer, "initializer");
    return with(v -> v.pipeline = initializer);
  }

  /**
   * Returns these options with a stale socket file at a local server's path removed first: one that
   * is a socket and refuses a test connection. Anything else there still makes {@code
   * makeLocalServer} fail.
   *
   * @param reclaim whether to remove a stale socket file; false by default
   * @return the new options
   */
  public ServerOptions reclaimStaleSocket(boolean reclaim) {
    return with(v -> v.reclaimStaleSocket = reclaim);
  }

  /**
   * Returns these options with the permissions a local server's socket file is created with; the
   * file is never wider than this, not even for a moment.
   *
   * @param permissions the permissions; owner read and write (0600) by default
   * @return the new options
   */
  public ServerOptions socketFileMode(Set<PosixFilePermission> permissions) {
    Objects.requireNonNull(permissions, "permissions");
    Set<PosixFilePermission> copy =
        permissions.isEmpty()
            ? EnumSet.noneOf(PosixFilePermission.class)
            : EnumSet.copyOf(permissions);
    Set<PosixFilePermission> mode = Collections.unmodifiableSet(copy);
    return with(v -> v.socketFileMode = mode);
  }

  /**
   * Returns these options with a local server that closes every connection from a process whose
   * user id is not listed, before {@code acceptConnection} could return it. It needs a transport
   * with peer credentials (epoll, kqueue, io_uring): on NIO {@code makeLocalServer} refuses it.
   *
   * @param uids the user ids allowed to connect, not empty
   * @return the new options
   * @throws IllegalArgumentException if {@code uids} is empty or holds a negative id
   */
  public ServerOptions allowedPeerUids(int... uids) {
    Objects.requireNonNull(uids, "uids");
    if (uids.length == 0) {
      throw new IllegalArgumentException("allowedPeerUids needs at least one uid");
    }
    Set<Integer> set = new TreeSet<>();
    for (int uid : uids) {
      if (uid < 0) {
        throw new IllegalArgumentException("uid must not be negative, was " + uid);
      }
      set.add(uid);
    }
    Set<Integer> allowed = Collections.unmodifiableSet(set);
    return with(v -> v.allowedPeerUids = allowed);
  }

  /**
   * Returns a copy that lets the streams this server accepts stay open for writing after their peer
   * has finished sending ({@link io.bbipc.StreamSocket#shutdownOutput}): the peer's end-of-stream
   * makes {@code REMOTE_DISCONNECTED} hold while {@code CONNECTION_SUCCEEDED} and {@code
   * READY_TO_WRITE} still do, so the server can answer. A peer that resets rather than finishing
   * sending is disconnected as without half-closure.
   *
   * @param allow true to allow half-closed streams; the default is false
   * @return the new options
   */
  public ServerOptions halfClosure(boolean allow) {
    return with(v -> v.halfClosure = allow);
  }

  /**
   * Tells whether accepted streams stay open for writing after their peer finished sending.
   *
   * @return true if half-closure is allowed
   */
  public boolean halfClosure() {
    return values.halfClosure;
  }

  /**
   * Tells whether a stale socket file is reclaimed.
   *
   * @return the reclaim-stale-socket option
   */
  public boolean reclaimStaleSocket() {
    return values.reclaimStaleSocket;
  }

  /**
   * Returns the permissions of a local server's socket file.
   *
   * @return an unmodifiable set
   */
  public Set<PosixFilePermission> socketFileMode() {
    return values.socketFileMode;
  }

  /**
   * Returns the user ids allowed to connect to a local server.
   *
   * @return an unmodifiable set, or null when any user may connect
   */
  public Set<Integer> allowedPeerUids() {
    return values.allowedPeerUids;
  }

  /**
   * Returns the pipeline initializer for accepted connections.
   *
   * @return the initializer; one that adds nothing by default
   */
  public Consumer<ChannelPipeline> pipeline() {
    return values.pipeline;
  }

  /**
   * Tells whether {@code SO_REUSEADDR} is set.
   *
   * @return the reuse-address option
   */
  public boolean reuseAddress() {
    return values.reuseAddress;
  }

  /**
   * Returns the listen backlog.
   *
   * @return the backlog, 1 or more
   */
  public int backlog() {
    return values.backlog;
  }

  /**
   * Tells whether a local server deletes its socket file on close.
   *
   * @return the delete-on-close option
   */
  public boolean deleteOnClose() {
    return values.deleteOnClose;
  }

  @Override
  public String toString() {
    Values v = values;
    return "ServerOptions[reuseAddress="
        + v.reuseAddress
        + ", backlog="
        + v.backlog
        + ", deleteOnClose="
        + v.deleteOnClose
        + ", reclaimStaleSocket="
        + v.reclaimStaleSocket
        + ", halfClosure="
        + v.halfClosure
        + ", socketFileMode="
        + v.socketFileMode
        + ", allowedPeerUids="
        + v.allowedPeerUids
        + "]";
  }
}
