package io.bbipc.kqueue;

import io.bbipc.PeerCredentials;
import io.bbipc.spi.NativeTransportProvider;
import io.netty.channel.Channel;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.kqueue.KQueue;
import io.netty.channel.kqueue.KQueueDomainSocketChannel;
import io.netty.channel.kqueue.KQueueIoHandler;
import io.netty.channel.kqueue.KQueueServerDomainSocketChannel;
import io.netty.channel.kqueue.KQueueServerSocketChannel;
import io.netty.channel.kqueue.KQueueSocketChannel;
import java.io.IOException;
import java.util.Optional;

/**
 * bbipc on Netty's native kqueue transport (macOS; Netty ships its native library for macOS only,
 * so the BSDs need one built there), with Unix domain sockets that report their peer's credentials.
 * Elsewhere it loads but reports itself unavailable.
 *
 * <p>Found by {@link java.util.ServiceLoader}; select it with {@code
 * Ipc.builder().transport("kqueue")} or {@code -Dbbipc.transport=kqueue}, or let it win by priority
 * where it is available.
 */
public final class KQueueTransportProvider extends NativeTransportProvider {
  /**
   * The rank among transports: with epoll (they never meet: no machine has both), above NIO (0).
   */
  static final int PRIORITY = 30;

  /** Null when the transport is usable; probed once per class, for the reasons probe gives. */
  private static final Throwable UNAVAILABILITY_CAUSE =
      probe("kqueue", () -> KQueue.isAvailable(), () -> KQueue.unavailabilityCause());

  /** Public for {@link java.util.ServiceLoader}; never throws, even without the native library. */
  public KQueueTransportProvider() {
    super("kqueue", PRIORITY, UNAVAILABILITY_CAUSE);
  }

  /**
   * Returns a factory for kqueue I/O handlers.
   *
   * @return the factory
   */
  @Override
  public IoHandlerFactory ioHandlerFactory() {
    return KQueueIoHandler.newFactory();
  }

  /**
   * Returns {@link KQueueIoHandler}.
   *
   * @return the handler class
   */
  @Override
  public Class<? extends IoHandler> ioHandlerType() {
    return KQueueIoHandler.class;
  }

  /**
   * Returns {@link KQueueSocketChannel}.
   *
   * @return the TCP stream channel class
   */
  @Override
  public Class<? extends Channel> tcpChannelType() {
    return KQueueSocketChannel.class;
  }

  /**
   * Returns {@link KQueueServerSocketChannel}.
   *
   * @return the TCP server channel class
   */
  @Override
  public Class<? extends ServerChannel> tcpServerChannelType() {
    return KQueueServerSocketChannel.class;
  }

  /**
   * Returns {@link KQueueDomainSocketChannel}.
   *
   * @return the local stream channel class
   */
  @Override
  public Class<? extends Channel> localChannelType() {
    return KQueueDomainSocketChannel.class;
  }

  /**
   * Returns {@link KQueueServerDomainSocketChannel}.
   *
   * @return the local server channel class
   */
  @Override
  public Class<? extends ServerChannel> localServerChannelType() {
    return KQueueServerDomainSocketChannel.class;
  }

  /**
   * Returns the peer's pid, uid and first gid as the kernel reports them ({@code LOCAL_PEERCRED},
   * and {@code LOCAL_PEERPID} where the system has it).
   *
   * @param channel a connected local stream channel
   * @return the credentials (pid -1 where the system cannot tell it, as FreeBSD cannot; gid -1 when
   *     the kernel gives none), or empty for any other channel or when the kernel refuses
   */
  @Override
  public Optional<PeerCredentials> peerCredentials(Channel channel) {
    // Netty reports pid 0 where the system has no LOCAL_PEERPID (FreeBSD) or refuses it; no peer
    // process has pid 0, so it means "unknown", which the record spells -1 as for the gid.
    return super.peerCredentials(channel)
        .map(c -> c.pid() > 0 ? c : new PeerCredentials(-1, c.uid(), c.gid()));
  }

  /**
   * Asks the kernel through {@code LOCAL_PEERCRED}, and {@code LOCAL_PEERPID} where the system has
   * it.
   *
   * @param channel a {@link KQueueDomainSocketChannel}
   * @return the credentials as Netty reports them
   * @throws IOException if the channel is closed or the kernel refuses
   */
  @Override
  protected io.netty.channel.unix.PeerCredentials nativePeerCredentials(Channel channel)
      throws IOException {
    return ((KQueueDomainSocketChannel) channel).peerCredentials();
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
