package io.bbipc.spi;

import io.bbipc.PeerCredentials;
import io.netty.channel.Channel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A base for the providers of Netty's native transports (epoll, io_uring, kqueue), whose local
 * channels take Netty's {@link DomainSocketAddress} and can tell who is at the other end.
 *
 * <p>A subclass must load, and say why it cannot run, even where Netty's transport classes or its
 * native library are missing, so that the other transports stay selectable. So it names Netty's
 * native classes only inside method bodies (never in fields, signatures or constructor arguments),
 * and learns whether it can run from {@link #probe}, called once from its static initialiser.
 */
public abstract class NativeTransportProvider implements TransportProvider {
  /** The kernel's TCP state of a connection that is reset or closed both ways. */
  private static final int TCP_CLOSE = 7;

  /** {@code -EACCES}: 13 on Linux, macOS and the BSDs alike; Netty names no constant for it. */
  private static final int EACCES_NEGATIVE = -13;

  /** What precedes the error number in the text of Netty's connect exceptions. */
  private static final String NETTY_ERRNO = "failed with error(";

  private final String name;
  private final int priority;
  private final Throwable unavailabilityCause;

  /**
   * Creates a provider whose availability is already known.
   *
   * @param name the transport's name, as given to {@code Ipc.Builder.transport}
   * @param priority the rank used when no transport is named
   * @param unavailabilityCause what {@link #probe} returned: null when the transport is usable
   */
  protected NativeTransportProvider(String name, int priority, Throwable unavailabilityCause) {
    this.name = name;
    this.priority = priority;
    this.unavailabilityCause = unavailabilityCause;
  }

  /**
   * Asks Netty whether its native transport can run here, turning every failure into a reason.
   *
   * <p>Call it once per provider class, from a static initialiser, and pass the result to each
   * construction: Transports constructs providers on every lookup, and a class whose initialiser
   * failed is reported by the JVM the second time only as "Could not initialize class", so only the
   * first probe sees the real reason.
   *
   * <p>Pass lambdas such as {@code () -> Epoll.isAvailable()}, not method references: a method
   * reference resolves Netty's class where it is written, outside this method's reach, and the
   * provider would then fail to load where that class is missing.
   *
   * @param name the transport's name, for the reason when Netty gives none
   * @param isAvailable calls Netty's {@code isAvailable()} for the transport
   * @param unavailabilityCause calls Netty's {@code unavailabilityCause()} for the transport
   * @return null when the transport is usable, else why not: Netty's reason, or the error that
   *     loading Netty's classes raised, with a failed class initialiser replaced by what it wraps
   */
  protected static Throwable probe(
      String name, BooleanSupplier isAvailable, Supplier<Throwable> unavailabilityCause) {
    try {
      if (isAvailable.getAsBoolean()) {
        return null;
      }
      Throwable cause = unavailabilityCause.get();
      return cause != null
          ? reason(cause)
          : new IllegalStateException("Netty reports " + name + " unavailable without saying why");
    } catch (Throwable missing) {
      // Netty's transport classes absent or broken on the class path: a reason, not a crash,
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
        ? cause.getCause()
        : cause;
  }

  /**
   * Returns the name given to the constructor.
   *
   * @return the transport's name
   */
  @Override
  public final String name() {
    return name;
  }

  /**
   * Returns the priority given to the constructor.
   *
   * @return the priority
   */
  @Override
  public final int priority() {
    return priority;
  }

  /**
   * Tells whether Netty's native library for the transport loaded, and the kernel accepts it.
   *
   * @return true if usable
   */
  @Override
  public final boolean isAvailable() {
    return unavailabilityCause == null;
  }

  /**
   * Returns why the transport cannot run here, as Netty reports it, or the error that loading
   * Netty's transport classes raised; a failed class initialiser is reported by the error it wraps.
   *
   * @return the cause, or null when available
   */
  @Override
  public final Throwable unavailabilityCause() {
    return unavailabilityCause;
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
    // Held as Object and cast back so that the bytecode verifier, checking this class as a
    // subclass loads, never has to load Netty's DomainSocketAddress to prove it a SocketAddress:
    // with Netty's unix classes missing, the provider still loads and says why.
    Object address = new DomainSocketAddress(path.toString());
    return (SocketAddress) address;
  }

  /**
   * Returns the abstract address for a name, Netty's domain address whose first byte is NUL, where
   * {@link #hasAbstractNamespace()} says the transport has them.
   *
   * @param name the name without the NUL
   * @return the address
   * @throws UnsupportedOperationException if {@link #hasAbstractNamespace()} is false
   */
  @Override
  public SocketAddress abstractAddress(String name) {
    if (!hasAbstractNamespace()) {
      return TransportProvider.super.abstractAddress(name);
    }
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
   * Returns the peer's pid, uid and first gid as the kernel reports them through {@link
   * #nativePeerCredentials}.
   *
   * @param channel a connected local stream channel
   * @return the credentials (gid -1 when the kernel gives none), or empty for a channel for which
   *     {@link #isNativeLocalChannel} is false or when the kernel refuses
   */
  @Override
  public Optional<PeerCredentials> peerCredentials(Channel channel) {
    if (!isNativeLocalChannel(channel)) {
      return Optional.empty();
    }
    try {
      io.netty.channel.unix.PeerCredentials c = nativePeerCredentials(channel);
      int[] gids = c.gids();
      return Optional.of(new PeerCredentials(c.pid(), c.uid(), gids.length > 0 ? gids[0] : -1));
    } catch (IOException closedOrNotASocket) {
      return Optional.empty();
    }
  }

  /**
   * Tells whether {@link #nativePeerCredentials} can answer for {@code channel}.
   *
   * @param channel a stream channel
   * @return by default, whether it is of {@link #localChannelType()}
   */
  protected boolean isNativeLocalChannel(Channel channel) {
    return localChannelType().isInstance(channel);
  }

  /**
   * Asks the kernel who is at the other end of a local stream; Netty's domain channels of each
   * transport have this method, but no common type declares it.
   *
   * @param channel a channel for which {@link #isNativeLocalChannel} is true
   * @return the credentials as Netty reports them
   * @throws IOException if the channel is closed or the kernel refuses
   */
  protected abstract io.netty.channel.unix.PeerCredentials nativePeerCredentials(Channel channel)
      throws IOException;

  /**
   * Tells why a local connect failed from the error number the kernel gave: {@code EAGAIN} (Linux's
   * answer to a non-blocking connect to a full backlog) means a full backlog, {@code EACCES}
   * permission denied, any other number no server; without a number, as the {@linkplain
   * TransportProvider#localConnectFailure default} does.
   *
   * @param cause what the connect failed with
   * @param file the socket file connected to, or null for an abstract name
   * @return why it failed
   */
  @Override
  public LocalConnectFailure localConnectFailure(Throwable cause, Path file) {
    int errno = connectErrno(cause);
    if (errno == 0) {
      return TransportProvider.super.localConnectFailure(cause, file);
    }
    if (errno == io.netty.channel.unix.Errors.ERRNO_EAGAIN_NEGATIVE
        || errno == io.netty.channel.unix.Errors.ERRNO_EWOULDBLOCK_NEGATIVE) {
      return LocalConnectFailure.BACKLOG_FULL;
    }
    return errno == EACCES_NEGATIVE
        ? LocalConnectFailure.PERMISSION_DENIED
        : LocalConnectFailure.NO_SERVER;
  }

  /**
   * The negative error number behind a failed connect, or 0 if there is none to be had. Netty
   * carries it in {@code NativeIoException.expectedErr()} where it makes one; but Netty 4.2.18
   * fails a connect with a plain {@link java.net.ConnectException} (its {@code
   * NativeConnectException}, which would carry the number, is never made), so the number is read
   * from the one place it is kept, Netty's fixed {@code "(..) failed with error(<number>)"}: the
   * number, not the system's wording of it, which differs between C libraries.
   */
  private static int connectErrno(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof io.netty.channel.unix.Errors.NativeIoException) {
        return ((io.netty.channel.unix.Errors.NativeIoException) t).expectedErr();
      }
      String message = t instanceof java.net.ConnectException ? t.getMessage() : null;
      int at = message == null ? -1 : message.indexOf(NETTY_ERRNO);
      if (at >= 0) {
        int from = at + NETTY_ERRNO.length();
        int to = message.indexOf(')', from);
        try {
          return to < 0 ? 0 : Integer.parseInt(message.substring(from, to));
        } catch (NumberFormatException notNettys) {
          return 0;
        }
      }
    }
    return 0;
  }

  /**
   * Tells whether {@link #tcpState} can answer for {@code channel}.
   *
   * @param channel a stream channel of this transport
   * @return true for a TCP channel whose transport reports {@code TCP_INFO}
   */
  @Override
  public final boolean canTellReset(Channel channel) {
    return isTcpInfoChannel(channel);
  }

  /**
   * Asks the kernel for the connection's {@code TCP_INFO} state; {@code TCP_CLOSE} means it was
   * reset or is closed both ways.
   *
   * @param channel a stream channel of this transport
   * @return true if the state is {@code TCP_CLOSE}
   */
  @Override
  public final boolean connectionReset(Channel channel) {
    if (!channel.isOpen() || !isTcpInfoChannel(channel)) {
      return false;
    }
    try {
      return tcpState(channel) == TCP_CLOSE;
    } catch (RuntimeException closedMeanwhile) {
      return false;
    }
  }

  /**
   * Tells whether {@code channel} is a TCP channel of this transport that reports {@code TCP_INFO}.
   *
   * @param channel a stream channel of this transport
   * @return false by default
   */
  protected boolean isTcpInfoChannel(Channel channel) {
    return false;
  }

  /**
   * Returns the kernel's TCP state ({@code tcpi_state}) of a channel for which {@link
   * #isTcpInfoChannel} is true.
   *
   * @param channel the channel, open
   * @return the state
   * @throws UnsupportedOperationException unless overridden
   */
  protected int tcpState(Channel channel) {
    throw new UnsupportedOperationException("transport " + name() + " does not report TCP_INFO");
  }
}
