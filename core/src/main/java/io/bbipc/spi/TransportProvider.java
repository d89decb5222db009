package io.bbipc.spi;

import io.bbipc.PeerCredentials;
import io.netty.channel.Channel;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * A Netty transport that bbipc can run on, found with {@link java.util.ServiceLoader}.
 *
 * <p>An implementation must be cheap to construct and must not throw when its native library is
 * missing: it reports that through {@link #isAvailable()} and {@link #unavailabilityCause()}.
 */
public interface TransportProvider {
  /**
   * Returns the transport's name, as given to {@code Ipc.Builder.transport}.
   *
   * @return a short lower-case name such as {@code "epoll"}
   */
  String name();

  /**
   * Returns the rank used when no transport is named; the available provider with the highest
   * priority wins.
   *
   * @return the priority
   */
  int priority();

  /**
   * Tells whether the transport can run on this machine.
   *
   * @return true if usable
   */
  boolean isAvailable();

  /**
   * Returns why the transport cannot run here.
   *
   * @return the cause, or null when available
   */
  Throwable unavailabilityCause();

  /**
   * Returns a factory for the I/O handlers of a new event loop group.
   *
   * @return the factory
   */
  IoHandlerFactory ioHandlerFactory();

  /**
   * Returns a factory for the I/O handler of a caller-driven runtime, whose loop is run by the
   * thread that owns it and, once that thread has ended without closing the runtime, by the thread
   * that closes it where {@link #loopRunsOnAnyThread()} allows that.
   *
   * @return by default, {@link #ioHandlerFactory()}
   */
  default IoHandlerFactory callerDrivenIoHandlerFactory() {
    return ioHandlerFactory();
  }

  /**
   * Tells whether the I/O handler hands writes to the kernel only when its loop runs, as io_uring
   * queues them in its submission queue; a caller-driven runtime then runs its loop once more after
   * a write so that the write is under way before the call returns.
   *
   * @return false by default: the write happens in the call that makes it
   */
  default boolean submitsOnlyWhenRun() {
    return false;
  }

  /**
   * Tells whether a thread other than the one that first ran a caller-driven loop may run it, which
   * is how bbipc releases the descriptors of a runtime whose owner ended without closing. Where it
   * may not, bbipc only marks such a runtime's sockets closed and fails the futures pending on
   * them; the descriptors stay until the JVM exits.
   *
   * @return true by default
   */
  default boolean loopRunsOnAnyThread() {
    return true;
  }

  /**
   * Returns the I/O handler type, to recognise a borrowed event loop group of this transport.
   *
   * @return the handler class
   */
  Class<? extends IoHandler> ioHandlerType();

  /**
   * Returns the TCP stream channel class.
   *
   * @return the class, with a public no-argument constructor
   */
  Class<? extends Channel> tcpChannelType();

  /**
   * Returns the TCP server channel class.
   *
   * @return the class, with a public no-argument constructor
   */
  Class<? extends ServerChannel> tcpServerChannelType();

  /**
   * Returns the local (Unix domain) stream channel class.
   *
   * @return the class, with a public no-argument constructor
   */
  Class<? extends Channel> localChannelType();

  /**
   * Returns the local (Unix domain) server channel class.
   *
   * @return the class, with a public no-argument constructor
   */
  Class<? extends ServerChannel> localServerChannelType();

  /**
   * Returns the address that this transport's local channels bind or connect to for a path.
   *
   * @param path the socket file's path
   * @return the address; by default a {@link UnixDomainSocketAddress}
   */
  default SocketAddress localAddress(Path path) {
    return UnixDomainSocketAddress.of(path);
  }

  /**
   * Tells whether local sockets may have Linux abstract names (no file).
   *
   * @return false by default
   */
  default boolean hasAbstractNamespace() {
    return false;
  }

  /**
   * Returns the address of a Linux abstract socket name.
   *
   * @param name the name, without the leading NUL byte
   * @return the address
   * @throws UnsupportedOperationException if {@link #hasAbstractNamespace()} is false
   */
  default SocketAddress abstractAddress(String name) {
    throw new UnsupportedOperationException(
        "transport " + name() + " has no abstract socket names");
  }

  /**
   * Tells whether {@link #peerCredentials} can report the other end of a local stream.
   *
   * @return false by default
   */
  default boolean hasPeerCredentials() {
    return false;
  }

  /**
   * Returns the credentials of the process at the other end of a local stream channel.
   *
   * @param channel a connected local stream channel of this transport
   * @return the credentials, or empty where the transport cannot tell
   */
  default Optional<PeerCredentials> peerCredentials(Channel channel) {
    return Optional.empty();
  }

  /**
   * Tells whether {@link #connectionReset} can answer for a stream channel of this transport.
   *
   * @param channel a stream channel of this transport
   * @return false by default
   */
  default boolean canTellReset(Channel channel) {
    return false;
  }

  /**
   * Tells, without reading from it, whether the kernel has closed a TCP stream channel's connection
   * (the peer reset it, or both directions are closed); bbipc asks while it has stopped reading
   * from a stream whose inbound buffer is full.
   *
   * @param channel a stream channel for which {@link #canTellReset} is true
   * @return true if the kernel says the connection is closed
   */
  default boolean connectionReset(Channel channel) {
    return false;
  }

  /**
   * Tells whether a stream channel of this transport may stop reading for good, with no event, when
   * a reset arrives together with the last bytes the peer sent, so that bbipc, after reading from
   * it, asks {@link #connectionReset} a moment later and closes a channel whose connection is gone
   * while nothing more arrives.
   *
   * @param channel a stream channel of this transport for which {@link #canTellReset} is true
   * @return false by default
   */
  default boolean mayMissReset(Channel channel) {
    return false;
  }

  /**
   * Tells whether this transport's local stream channels can stay open for writing after the peer's
   * end-of-stream ({@code ChannelOption.ALLOW_HALF_CLOSURE}); TCP channels always can.
   *
   * @return false by default: Netty 4.2's own NIO and io_uring local channels close at
   *     end-of-stream whatever the option says (bbipc's providers of both use channels of their
   *     own)
   */
  default boolean localHalfClosure() {
    return false;
  }

  /**
   * Tells why a connect to a local server failed, so that bbipc can say so as the original does.
   *
   * <p>By default from the JDK's exception types and, where the JDK gives an error no type of its
   * own, from the socket file: a refusal ({@link ConnectException}: nobody listens on the file, or
   * it is no socket) means no server; then a file that is missing means no server, one that this
   * process may not write to, or cannot even look at (a directory on its path bars it), means
   * permission denied; a socket file that it may write to, and a connect stopped by something other
   * than a refusal, means a full backlog (Linux answers a non-blocking connect to a full backlog
   * with {@code EAGAIN}, to which the JDK gives no type). A transport that knows the error number
   * should answer from it instead.
   *
   * @param cause what the connect failed with
   * @param file the socket file connected to, or null for an abstract name
   * @return why it failed
   */
  default LocalConnectFailure localConnectFailure(Throwable cause, Path file) {
    if (causedBy(cause, ConnectException.class) || file == null) {
      return LocalConnectFailure.NO_SERVER;
    }
    if (Files.notExists(file)) {
      return LocalConnectFailure.NO_SERVER;
    }
    if (!Files.exists(file) || !Files.isWritable(file)) {
      return LocalConnectFailure.PERMISSION_DENIED;
    }
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException goneMeanwhile) {
      return LocalConnectFailure.NO_SERVER;
    }
    // a socket is neither a regular file, a directory nor a link
    return attributes.isOther() && causedBy(cause, SocketException.class)
        ? LocalConnectFailure.BACKLOG_FULL
        : LocalConnectFailure.NO_SERVER;
  }

  private static boolean causedBy(Throwable cause, Class<? extends Throwable> type) {
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Tells whether {@code group}'s event loops run this transport's I/O handler, so that bbipc can
   * borrow the group.
   *
   * @param group an application's event loop group
   * @return by default, whether the group's handler is of {@link #ioHandlerType()}
   */
  default boolean drives(IoEventLoopGroup group) {
    return group.isIoType(ioHandlerType());
  }
}
