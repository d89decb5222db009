package io.bbipc.epoll;

import io.bbipc.spi.NativeTransportProvider;
import io.netty.channel.Channel;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.IOException;

/**
 * bbipc on Netty's native epoll transport (Linux), with Unix domain sockets that report their
 * peer's credentials ({@code SO_PEERCRED}) and may have abstract names.
 *
 * <p>Found by {@link java.util.ServiceLoader}; select it with {@code
 * Ipc.builder().transport("epoll")} or {@code -Dbbipc.transport=epoll}, or let it win by priority
 * where it is available.
 */
public final class EpollTransportProvider extends NativeTransportProvider {
  /**
   * The rank among transports: first on Linux, where it had the lowest synchronous round trip of
   * the three in the benchmarks (docs/benchmarks.md), above io_uring (20) and NIO (0).
   */
  static final int PRIORITY = 30;

  /** Null when the transport is usable; probed once per class, for the reasons probe gives. */
  private static final Throwable UNAVAILABILITY_CAUSE =
      probe("epoll", () -> Epoll.isAvailable(), () -> Epoll.unavailabilityCause());

  /** Public for {@link java.util.ServiceLoader}; never throws, even without the native library. */
  public EpollTransportProvider() {
    super("epoll", PRIORITY, UNAVAILABILITY_CAUSE);
  }

  /**
   * Returns a factory for epoll I/O handlers that keep a socket in the epoll set while its channel
   * is registered (see {@code KeptRegistrationIoHandler} for the Netty 4.2 defect this works
   * around).
   *
   * @return the factory
   */
  @Override
  public IoHandlerFactory ioHandlerFactory() {
    return KeptRegistrationIoHandler.newFactory();
  }

  /**
   * Tells whether the group runs Netty's epoll handler, or bbipc's around it.
   *
   * @param group an application's event loop group
   * @return true for either
   */
  @Override
  public boolean drives(IoEventLoopGroup group) {
    return group.isIoType(EpollIoHandler.class) || group.isIoType(KeptRegistrationIoHandler.class);
  }

  /**
   * Returns {@link EpollIoHandler}.
   *
   * @return the handler class
   */
  @Override
  public Class<? extends IoHandler> ioHandlerType() {
    return EpollIoHandler.class;
  }

  /**
   * Returns {@link EpollSocketChannel}.
   *
   * @return the TCP stream channel class
   */
  @Override
  public Class<? extends Channel> tcpChannelType() {
    return EpollSocketChannel.class;
  }

  /**
   * Returns {@link EpollServerSocketChannel}.
   *
   * @return the TCP server channel class
   */
  @Override
  public Class<? extends ServerChannel> tcpServerChannelType() {
    return EpollServerSocketChannel.class;
  }

  /**
   * Returns {@link EpollDomainSocketChannel}.
   *
   * @return the local stream channel class
   */
  @Override
  public Class<? extends Channel> localChannelType() {
    return EpollDomainSocketChannel.class;
  }

  /**
   * Returns {@link EpollServerDomainSocketChannel}.
   *
   * @return the local server channel class
   */
  @Override
  public Class<? extends ServerChannel> localServerChannelType() {
    return EpollServerDomainSocketChannel.class;
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
   * Asks the kernel through {@code SO_PEERCRED}.
   *
   * @param channel an {@link EpollDomainSocketChannel}
   * @return the credentials as Netty reports them
   * @throws IOException if the channel is closed or the kernel refuses
   */
  @Override
  protected io.netty.channel.unix.PeerCredentials nativePeerCredentials(Channel channel)
      throws IOException {
    return ((EpollDomainSocketChannel) channel).peerCredentials();
  }

  /**
   * Tells that TCP channels report {@code TCP_INFO}.
   *
   * @param channel a stream channel of this transport
   * @return true for a {@link EpollSocketChannel}
   */
  @Override
  protected boolean isTcpInfoChannel(Channel channel) {
    return channel instanceof EpollSocketChannel;
  }

  /**
   * Reads {@code tcpi_state} through Netty's {@code tcpInfo()}.
   *
   * @param channel a {@link EpollSocketChannel}
   * @return the state
   */
  @Override
  protected int tcpState(Channel channel) {
    return ((EpollSocketChannel) channel).tcpInfo().state();
  }

  /**
   * Tells that local channels honour {@code ALLOW_HALF_CLOSURE}.
   *
   * @return true
   */
  @Override
  public boolean localHalfClosure() {
    return true;
  }
}
