package io.bbipc;

import io.netty.channel.ChannelPipeline;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Immutable options for {@code makeIpv4TcpServer} and {@code makeLocalServer}; each setter
 * returns a new instance.
 */
public final class ServerOptions {
  private static final Consumer<ChannelPipeline> NO_HANDLERS = p -> { };
  private static final ServerOptions DEFAULTS = new ServerOptions(false, 128, true, NO_HANDLERS);

  private final boolean reuseAddress;
  private final int backlog;
  private final boolean deleteOnClose;
  private final Consumer<ChannelPipeline> pipeline;

  private ServerOptions(boolean reuseAddress, int backlog, boolean deleteOnClose,
                        Consumer<ChannelPipeline> pipeline) {
    this.reuseAddress = reuseAddress;
    this.backlog = backlog;
    this.deleteOnClose = deleteOnClose;
    this.pipeline = pipeline;
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
    return new ServerOptions(reuse, backlog, deleteOnClose, pipeline);
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
    return new ServerOptions(reuseAddress, connections, deleteOnClose, pipeline);
  }

  /**
   * Returns these options with a local server's socket file deleted, or kept, on close.
   *
   * @param delete whether {@code close()} removes the socket file if it is still the server's own
   * @return the new options
   */
  public ServerOptions deleteOnClose(boolean delete) {
    return new ServerOptions(reuseAddress, backlog, delete, pipeline);
  }

  /**
   * Returns these options with handlers to install in every accepted connection's pipeline,
   * before bbipc's own buffering handler (TLS, compression, logging); it runs on the event loop
   * after the runtime's own pipeline initializer, if any.
   *
   * @param initializer adds handlers with {@code addLast}; must not block
   * @return the new options
   */
  public ServerOptions pipeline(Consumer<ChannelPipeline> initializer) {
    return new ServerOptions(reuseAddress, backlog, deleteOnClose,
        Objects.requireNonNull(initializer, "initializer"));
  }

  /**
   * Returns the pipeline initializer for accepted connections.
   *
   * @return the initializer; one that adds nothing by default
   */
  public Consumer<ChannelPipeline> pipeline() {
    return pipeline;
  }

  /**
   * Tells whether {@code SO_REUSEADDR} is set.
   *
   * @return the reuse-address option
   */
  public boolean reuseAddress() {
    return reuseAddress;
  }

  /**
   * Returns the listen backlog.
   *
   * @return the backlog, 1 or more
   */
  public int backlog() {
    return backlog;
  }

  /**
   * Tells whether a local server deletes its socket file on close.
   *
   * @return the delete-on-close option
   */
  public boolean deleteOnClose() {
    return deleteOnClose;
  }

  @Override
  public String toString() {
    return "ServerOptions[reuseAddress=" + reuseAddress + ", backlog=" + backlog
        + ", deleteOnClose=" + deleteOnClose + "]";
  }
}
