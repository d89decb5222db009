package io.bbipc.iouring;

import io.bbipc.PeerCredentials;
import io.bbipc.iouring.internal.IoUringLocalChannel;
import io.bbipc.iouring.internal.IoUringLocalServerChannel;
import io.bbipc.spi.NativeTransportProvider;
import io.netty.channel.Channel;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.io.IOException;
import java.util.Optional;

/**
 * bbipc on Netty's native io_uring transport (Linux 5.9 and later, the oldest kernel Netty 4.2.18
 * accepts unless {@code -Dio.netty.transport.iouring.enforceKernelVersion=false}; where the kernel
 * has not disabled io_uring), with Unix domain sockets that report their peer's credentials ({@code
 * SO_PEERCRED}) and may have abstract names. It is available only where Netty's native library
 * loaded and the kernel lets this process set up a ring (containers' seccomp profiles and {@code
 * kernel.io_uring_disabled} often forbid it).
 *
 * <p>Local sockets run on bbipc's own channels ({@code IoUringLocalChannel}), not Netty's {@code
 * IoUringDomainSocketChannel}, which closes at the peer's end-of-stream and drops what it has not
 * sent yet: they wait for readiness through the ring and move bytes with non-blocking system calls.
 *
 * <p>Found by {@link java.util.ServiceLoader}; select it with {@code
 * Ipc.builder().transport("io_uring")} or {@code -Dbbipc.transport=io_uring}; by priority it wins
 * only where epoll is unavailable.
 */
public final class IoUringTransportProvider extends NativeTransportProvider {
  /**
   * The rank among transports: below epoll (30), which had the lower synchronous round trip in the
   * benchmarks (docs/benchmarks.md), and above NIO (0), being native (peer credentials, abstract
   * names) and ahead of it on the TCP round trip.
   */
  static final int PRIORITY = 20;

  /** Null when the transport is usable; probed once per class, for the reasons probe gives. */
  private static final Throwable UNAVAILABILITY_CAUSE =
      probe("io_uring", () -> IoUring.isAvailable(), () -> IoUring.unavailabilityCause());

  /** Public for {@link java.util.ServiceLoader}; never throws, even without the native library. */
  public IoUringTransportProvider() {
    super("io_uring", PRIORITY, UNAVAILABILITY_CAUSE);
  }

  /**
   * Returns a factory for io_uring I/O handlers.
   *
   * @return the factory
   */
  @Override
  public IoHandlerFactory ioHandlerFactory() {
    return IoUringIoHandler.newFactory();
  }

  /**
   * Returns a factory for io_uring handlers whose ring is made without {@code
   * IORING_SETUP_SINGLE_ISSUER} (and so, in Netty 4.2.18, without {@code
   * IORING_SETUP_DEFER_TASKRUN}). That was meant to let another thread release a caller-driven
   * runtime whose owner has ended, which the kernel refuses even so (see {@link
   * #loopRunsOnAnyThread()}): only the owner runs the ring. The ring is still made this way, as it
   * has been for every caller-driven io_uring runtime.
   *
   * @return the factory
   */
  @Override
  public IoHandlerFactory callerDrivenIoHandlerFactory() {
    return IoUringIoHandler.newFactory(new IoUringIoHandlerConfig().setSingleIssuer(false));
  }

  /**
   * Returns true: io_uring submits queued writes when its loop runs.
   *
   * @return true
   */
  @Override
  public boolean submitsOnlyWhenRun() {
    return true;
  }

  /**
   * Returns false: Netty registers the ring with the thread that enables it ({@code
   * IORING_REGISTER_RING_FDS}), and the kernel refuses that registered ring to any other thread
   * ({@code EINVAL}), even with a ring not tied to a single issuer.
   *
   * @return false
   */
  @Override
  public boolean loopRunsOnAnyThread() {
    return false;
  }

  /**
   * Returns {@link IoUringIoHandler}.
   *
   * @return the handler class
   */
  @Override
  public Class<? extends IoHandler> ioHandlerType() {
    return IoUringIoHandler.class;
  }

  /**
   * Returns {@link IoUringSocketChannel}.
   *
   * @return the TCP stream channel class
   */
  @Override
  public Class<? extends Channel> tcpChannelType() {
    return IoUringSocketChannel.class;
  }

  /**
   * Returns {@link IoUringServerSocketChannel}.
   *
   * @return the TCP server channel class
   */
  @Override
  public Class<? extends ServerChannel> tcpServerChannelType() {
    return IoUringServerSocketChannel.class;
  }

  /**
   * Returns bbipc's io_uring local stream channel, which can stay open for writing after the peer's
   * end-of-stream.
   *
   * @return the local stream channel class
   */
  @Override
  public Class<? extends Channel> localChannelType() {
    return IoUringLocalChannel.class;
  }

  /**
   * Returns bbipc's io_uring local server channel, whose streams are {@link #localChannelType()}'s.
   *
   * @return the local server channel class
   */
  @Override
  public Class<? extends ServerChannel> localServerChannelType() {
    return IoUringLocalServerChannel.class;
  }

  /**
   * Returns true: bbipc's local channels keep sending after the peer's end-of-stream.
   *
   * @return true
   */
  @Override
  public boolean localHalfClosure() {
    return true;
  }

  /**
   * Tells that local sockets may have Linux abstract names.
   *
   * @return true
   */
  @Override
  public boolean hasAbstractNamespace() {
    return true;
  }

  /**
   * Returns the peer's pid, uid and gid through {@code SO_PEERCRED}, for bbipc's local channels and
   * for Netty's (an application's adopted channel).
   *
   * @param channel a connected local stream channel
   * @return the credentials, or empty for another channel or when the kernel refuses
   */
  @Override
  public Optional<PeerCredentials> peerCredentials(Channel channel) {
    if (!(channel instanceof IoUringLocalChannel)) {
      return super.peerCredentials(channel);
    }
    try {
      int[] ucred = ((IoUringLocalChannel) channel).peerCredentials();
      return Optional.of(new PeerCredentials(ucred[0], ucred[1], ucred[2]));
    } catch (IOException closed) {
      return Optional.empty();
    }
  }

  /**
   * Tells whether {@code channel} is Netty's io_uring local channel (an application's adopted one).
   *
   * @param channel a stream channel
   * @return true for an {@link IoUringDomainSocketChannel}
   */
  @Override
  protected boolean isNativeLocalChannel(Channel channel) {
    return channel instanceof IoUringDomainSocketChannel;
  }

  /**
   * Asks the kernel through {@code SO_PEERCRED}, for an application's own Netty channel.
   *
   * @param channel an {@link IoUringDomainSocketChannel}
   * @return the credentials as Netty reports them
   * @throws IOException if the channel is closed or the kernel refuses
   */
  @Override
  protected io.netty.channel.unix.PeerCredentials nativePeerCredentials(Channel channel)
      throws IOException {
    return ((IoUringDomainSocketChannel) channel).peerCredentials();
  }

  /**
   * Tells that TCP channels report {@code TCP_INFO}.
   *
   * @param channel a stream channel of this transport
   * @return true for a {@link IoUringSocketChannel}
   */
  @Override
  protected boolean isTcpInfoChannel(Channel channel) {
    return channel instanceof IoUringSocketChannel;
  }

  /**
   * Returns true for TCP channels: Netty 4.2.18's io_uring channel, after a receive that emptied
   * the socket, waits on the read poll it already had armed; when the reset came in the same
   * wake-up as the last bytes (as for a client that wrote and reset before it was accepted), that
   * poll never fires again, and the channel neither reads the reset nor reports anything (seen
   * every time).
   *
   * @param channel a stream channel of this transport
   * @return true for a {@link IoUringSocketChannel}
   */
  @Override
  public boolean mayMissReset(Channel channel) {
    return channel instanceof IoUringSocketChannel;
  }

  /**
   * Reads {@code tcpi_state} through Netty's {@code tcpInfo()}.
   *
   * @param channel a {@link IoUringSocketChannel}
   * @return the state
   */
  @Override
  protected int tcpState(Channel channel) {
    return ((IoUringSocketChannel) channel).tcpInfo().state();
  }
}
