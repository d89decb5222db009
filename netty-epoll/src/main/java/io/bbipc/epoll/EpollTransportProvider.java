package io.bbipc.epoll;

import io.bbipc.PeerCredentials;
import io.bbipc.spi.TransportProvider;
import io.netty.channel.Channel;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.Optional;

/**
 * bbipc on Netty's native epoll transport (Linux), with Unix domain sockets that report their
 * peer's credentials.
 *
 * <p>Found by {@link java.util.ServiceLoader}; select it with {@code Ipc.builder().transport("epoll")}
 * or {@code -Dbbipc.transport=epoll}, or let it win by priority where it is available.
 */
public final class EpollTransportProvider implements TransportProvider {
  /**
   * The rank among transports. Provisional: a benchmark issue will decide the final order of
   * epoll, io_uring and kqueue; until then epoll ranks above io_uring as the more proven one.
   */
  static final int PRIORITY = 30;

  /** Null when the transport is usable. */
  private static final Throwable UNAVAILABILITY_CAUSE = probe();

  /** Public for {@link java.util.ServiceLoader}; never throws, even without the native library. */
  public EpollTransportProvider() {
  }

  private static Throwable probe() {
    // Computed once per class: the native library loads at most once, and every later
    // construction (Transports builds providers on each lookup) stays cheap.
    try {
      if (Epoll.isAvailable()) {
        return null;
      }
      Throwable cause = Epoll.unavailabilityCause();
      return cause != null ? reason(cause)
          : new IllegalStateException("Netty reports epoll unavailable without saying why");
    } catch (Throwable missing) {
      // Netty's epoll classes absent or broken on the class path: a reason, not a crash,
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
   * Returns {@code "epoll"}.
   *
   * @return the transport's name
   */
  @Override
  public String name() {
    return "epoll";
  }

  /**
   * Returns the rank used when no transport is named (provisional, see the class source).
   *
   * @return the priority, above io_uring's and NIO's
   */
  @Override
  public int priority() {
    return PRIORITY;
  }

  /**
   * Tells whether Netty's native epoll library loaded on this machine.
   *
   * @return true if usable
   */
  @Override
  public boolean isAvailable() {
    return UNAVAILABILITY_CAUSE == null;
  }

  /**
   * Returns why epoll cannot run here, as Netty reports it, or the error that loading Netty's
   * epoll classes raised; a failed class initialiser is reported by the error it wraps.
   *
   * @return the cause, or null when available
   */
  @Override
  public Throwable unavailabilityCause() {
    return UNAVAILABILITY_CAUSE;
  }

  /**
   * Returns a factory for epoll I/O handlers.
   *
   * @return the factory
   */
  @Override
  public IoHandlerFactory ioHandlerFactory() {
    return EpollIoHandler.newFactory();
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
   * Tells that local sockets may have Linux abstract names.
   *
   * @return true
   */
  @Override
  public boolean hasAbstractNamespace() {
    return true;
  }

  /**
   * Returns the abstract address for a name: Netty's domain address whose first byte is NUL.
   *
   * @param name the name without the NUL
   * @return the address
   */
  @Override
  public SocketAddress abstractAddress(String name) {
    // an Object first, for the same reason as in localAddress
    Object address = new DomainSocketAddress("\0" + name);
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
   * Returns the peer's pid, uid and first gid as the kernel reports them ({@code SO_PEERCRED}).
   *
   * @param channel a connected local stream channel
   * @return the credentials (gid -1 when the kernel gives none), or empty for any other channel or
   *     when the kernel refuses
   */
  @Override
  public Optional<PeerCredentials> peerCredentials(Channel channel) {
    if (!(channel instanceof EpollDomainSocketChannel)) {
      return Optional.empty();
    }
    try {
      io.netty.channel.unix.PeerCredentials c = ((EpollDomainSocketChannel) channel).peerCredentials();
      int[] gids = c.gids();
      return Optional.of(new PeerCredentials(c.pid(), c.uid(), gids.length > 0 ? gids[0] : -1));
    } catch (IOException closedOrNotASocket) {
      return Optional.empty();
    }
  }
}
