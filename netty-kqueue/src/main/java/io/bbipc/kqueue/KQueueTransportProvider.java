package io.bbipc.kqueue;

import io.bbipc.PeerCredentials;
import io.bbipc.spi.TransportProvider;
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
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.Optional;

/**
 * bbipc on Netty's native kqueue transport (macOS and the BSDs), with Unix domain sockets that
 * report their peer's credentials. Elsewhere it loads but reports itself unavailable.
 *
 * <p>Found by {@link java.util.ServiceLoader}; select it with {@code Ipc.builder().transport("kqueue")}
 * or {@code -Dbbipc.transport=kqueue}, or let it win by priority where it is available.
 */
public final class KQueueTransportProvider implements TransportProvider {
  /**
   * The rank among transports. Provisional: a benchmark issue will decide the final order of
   * epoll, io_uring and kqueue; until then kqueue ranks with epoll (they never meet: no machine
   * has both), above NIO.
   */
  static final int PRIORITY = 30;

  /** Null when the transport is usable. */
  private static final Throwable UNAVAILABILITY_CAUSE = probe();

  /** Public for {@link java.util.ServiceLoader}; never throws, even without the native library. */
  public KQueueTransportProvider() {
  }

  private static Throwable probe() {
    // Computed once per class: the native library loads at most once, and every later
    // construction (Transports builds providers on each lookup) stays cheap.
    try {
      if (KQueue.isAvailable()) {
        return null;
      }
      Throwable cause = KQueue.unavailabilityCause();
      return cause != null ? reason(cause)
          : new IllegalStateException("Netty reports kqueue unavailable without saying why");
    } catch (Throwable missing) {
      // Netty's kqueue classes absent or broken on the class path: a reason, not a crash,
      // so the other transports stay selectable.
      return reason(missing);
    }
  }

  /**
   * Netty's failed static initialiser hides the real reason behind a bare
   * ExceptionInInitializerError, whose toString (all that transport listings print) says nothing;
   * the error it wraps does.
   */
  private static Throwable reason(Throwable cause) {
    return cause instanceof ExceptionInInitializerError && cause.getCause() != null
        ? cause.getCause() : cause;
  }

  /**
   * Returns {@code "kqueue"}.
   *
   * @return the transport's name
   */
  @Override
  public String name() {
    return "kqueue";
  }

  /**
   * Returns the rank used when no transport is named (provisional, see the class source).
   *
   * @return the priority, above NIO's
   */
  @Override
  public int priority() {
    return PRIORITY;
  }

  /**
   * Tells whether Netty's native kqueue library loaded on this machine.
   *
   * @return true if usable
   */
  @Override
  public boolean isAvailable() {
    return UNAVAILABILITY_CAUSE == null;
  }

  /**
   * Returns why kqueue cannot run here, as Netty reports it, or the error that loading Netty's
   * kqueue classes raised; a failed class initialiser is reported by the error it wraps.
   *
   * @return the cause, or null when available
   */
  @Override
  public Throwable unavailabilityCause() {
    return UNAVAILABILITY_CAUSE;
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
   * Returns Netty's own {@link DomainSocketAddress} for the path, the address type its native
   * domain channels are built around.
   *
   * @param path the socket file's path
   * @return the address
   */
  @Override
  public SocketAddress localAddress(Path path) {
    // Held as Object and cast back so that the bytecode verifier, checking this class as
    // ServiceLoader loads it, never has to load Netty's DomainSocketAddress to prove it a
    // SocketAddress: with Netty's unix classes missing, the provider still loads and says why.
    Object address = new DomainSocketAddress(path.toString());
    return (SocketAddress) address;
  }

  /**
   * Tells that this transport reports the peer of a local stream.
   *
   * @return true
   */
  @Override
  public boolean hasPeerCredentials() {
    return true;
  }

  /**
   * Returns the peer's pid, uid and first gid as the kernel reports them ({@code LOCAL_PEERCRED}, and
   * {@code LOCAL_PEERPID} where the system has it).
   *
   * @param channel a connected local stream channel
   * @return the credentials (pid -1 where the system cannot tell it, as FreeBSD cannot; gid -1
   *     when the kernel gives none), or empty for any other channel or when the kernel refuses
   */
  @Override
  public Optional<PeerCredentials> peerCredentials(Channel channel) {
    if (!(channel instanceof KQueueDomainSocketChannel)) {
      return Optional.empty();
    }
    try {
      io.netty.channel.unix.PeerCredentials c = ((KQueueDomainSocketChannel) channel).peerCredentials();
      int[] gids = c.gids();
      // Netty reports pid 0 where the system has no LOCAL_PEERPID (FreeBSD) or refuses it; no peer
      // process has pid 0, so it means "unknown", which the record spells -1 as for the gid.
      int pid = c.pid() > 0 ? c.pid() : -1;
      return Optional.of(new PeerCredentials(pid, c.uid(), gids.length > 0 ? gids[0] : -1));
    } catch (IOException closedOrNotASocket) {
      return Optional.empty();
    }
  }
}
