package io.bbipc.iouring;

import io.bbipc.PeerCredentials;
import io.bbipc.spi.TransportProvider;
import io.netty.channel.Channel;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerDomainSocketChannel;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.Optional;

/**
 * bbipc on Netty's native io_uring transport (Linux 5.1 and later, where the kernel has not
 * disabled io_uring), with Unix domain sockets that report their peer's credentials.
 *
 * <p>Found by {@link java.util.ServiceLoader}; select it with {@code Ipc.builder().transport("io_uring")}
 * or {@code -Dbbipc.transport=io_uring}; by priority it wins only where epoll is unavailable.
 */
public final class IoUringTransportProvider implements TransportProvider {
  /**
   * The rank among transports. Provisional: a benchmark issue will decide the final order of
   * epoll, io_uring and kqueue; until then io_uring ranks below epoll, the more proven one, and
   * above NIO.
   */
  static final int PRIORITY = 20;

  /** Null when the transport is usable. */
  private static final Throwable UNAVAILABILITY_CAUSE = probe();

  /** Public for {@link java.util.ServiceLoader}; never throws, even without the native library. */
  public IoUringTransportProvider() {
  }

  private static Throwable probe() {
    // Computed once per class: the native library loads at most once, and every later
    // construction (Transports builds providers on each lookup) stays cheap.
    try {
      if (IoUring.isAvailable()) {
        return null;
      }
      Throwable cause = IoUring.unavailabilityCause();
      return cause != null ? reason(cause)
          : new IllegalStateException("Netty reports io_uring unavailable without saying why");
    } catch (Throwable missing) {
      // Netty's io_uring classes absent or broken on the class path: a reason, not a crash,
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
   * Returns {@code "io_uring"}.
   *
   * @return the transport's name
   */
  @Override
  public String name() {
    return "io_uring";
  }

  /**
   * Returns the rank used when no transport is named (provisional, see the class source).
   *
   * @return the priority, below epoll's and above NIO's
   */
  @Override
  public int priority() {
    return PRIORITY;
  }

  /**
   * Tells whether Netty's native io_uring library loaded and the kernel lets this process set up
   * a ring (containers' seccomp profiles and {@code kernel.io_uring_disabled} often forbid it).
   *
   * @return true if usable
   */
  @Override
  public boolean isAvailable() {
    return UNAVAILABILITY_CAUSE == null;
  }

  /**
   * Returns why io_uring cannot run here, as Netty reports it, or the error that loading Netty's
   * io_uring classes raised; a failed class initialiser is reported by the error it wraps.
   *
   * @return the cause, or null when available
   */
  @Override
  public Throwable unavailabilityCause() {
    return UNAVAILABILITY_CAUSE;
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
   * Returns {@link IoUringDomainSocketChannel}.
   *
   * @return the local stream channel class
   */
  @Override
  public Class<? extends Channel> localChannelType() {
    return IoUringDomainSocketChannel.class;
  }

  /**
   * Returns {@link IoUringServerDomainSocketChannel}.
   *
   * @return the local server channel class
   */
  @Override
  public Class<? extends ServerChannel> localServerChannelType() {
    return IoUringServerDomainSocketChannel.class;
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
    if (!(channel instanceof IoUringDomainSocketChannel)) {
      return Optional.empty();
    }
    try {
      io.netty.channel.unix.PeerCredentials c = ((IoUringDomainSocketChannel) channel).peerCredentials();
      int[] gids = c.gids();
      return Optional.of(new PeerCredentials(c.pid(), c.uid(), gids.length > 0 ? gids[0] : -1));
    } catch (IOException closedOrNotASocket) {
      return Optional.empty();
    }
  }
}
