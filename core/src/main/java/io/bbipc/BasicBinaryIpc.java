package io.bbipc;

import io.bbipc.internal.Polling;
import io.bbipc.internal.address.Addresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The functions of basic-binary-ipc, on the process-wide {@link Ipc#shared()} runtime; polling
 * works on sockets of any runtime.
 */
public final class BasicBinaryIpc {
  /** The IPv4 loopback address, the original's {@code +ipv4-loopback+}. */
  public static final String IPV4_LOOPBACK = "127.0.0.1";

  /** The IPv4 wildcard address, the original's {@code +ipv4-any+}. */
  public static final String IPV4_ANY = "0.0.0.0";

  /**
   * The IPv6 loopback address, for {@link #makeIpv6TcpServer} and {@link #connectToIpv6TcpServer}.
   */
  public static final String IPV6_LOOPBACK = "::1";

  /**
   * The IPv6 wildcard address; a server on it takes IPv4 clients too, as the JDK and Netty make
   * every IPv6 socket dual-stack.
   */
  public static final String IPV6_ANY = "::";

  private BasicBinaryIpc() {}

  /**
   * Makes a TCP server on the shared runtime (the original's {@code make-ipv4-tcp-server}).
   *
   * @param hostAddress a dotted quad
   * @param port 0 to 65535; 0 lets the system pick a free port
   * @return the listening server
   * @throws IpcException if the address cannot be bound, e.g. the port is in use
   * @throws IllegalArgumentException if the address or port is malformed
   */
  public static Ipv4TcpServer makeIpv4TcpServer(String hostAddress, int port) throws IpcException {
    return Ipc.shared().makeIpv4TcpServer(hostAddress, port);
  }

  /**
   * Makes a TCP server on the shared runtime, with options.
   *
   * @param hostAddress a dotted quad
   * @param port 0 to 65535; 0 lets the system pick a free port
   * @param options reuse-address and backlog
   * @return the listening server
   * @throws IpcException if the address cannot be bound, e.g. the port is in use
   * @throws IllegalArgumentException if the address or port is malformed
   */
  public static Ipv4TcpServer makeIpv4TcpServer(String hostAddress, int port, ServerOptions options)
      throws IpcException {
    return Ipc.shared().makeIpv4TcpServer(hostAddress, port, options);
  }

  /**
   * Starts connecting to a TCP server on the shared runtime (the original's {@code
   * connect-to-ipv4-tcp-server}).
   *
   * @param hostAddress the server's dotted quad
   * @param port the server's port
   * @return the connecting stream
   * @throws IpcException if the runtime is closed
   * @throws IllegalArgumentException if the address or port is malformed
   */
  public static Ipv4TcpStream connectToIpv4TcpServer(String hostAddress, int port)
      throws IpcException {
    return Ipc.shared().connectToIpv4TcpServer(hostAddress, port);
  }

  /**
   * Starts connecting to a TCP server from a chosen local address and port, on the shared runtime.
   *
   * @param hostAddress the server's dotted quad
   * @param port the server's port
   * @param localHostAddress the local dotted quad, or null for any
   * @param localPort the local port, or 0 for any
   * @return the connecting stream
   * @throws IpcException if the runtime is closed
   * @throws IllegalArgumentException if an address or port is malformed
   */
  public static Ipv4TcpStream connectToIpv4TcpServer(
      String hostAddress, int port, String localHostAddress, int localPort) throws IpcException {
    return Ipc.shared().connectToIpv4TcpServer(hostAddress, port, localHostAddress, localPort);
  }

  /**
   * Makes a TCP server on an IPv6 address on the shared runtime; on {@link #IPV6_ANY} it takes IPv4
   * clients too.
   *
   * @param hostAddress an IPv6 literal, such as {@link #IPV6_LOOPBACK}; no brackets, no host names
   * @param port 0 to 65535; 0 lets the system pick a free port
   * @return the listening server
   * @throws IpcException if the address cannot be bound, e.g. the port is in use or the system has
   *     no IPv6
   * @throws IllegalArgumentException if the address or port is malformed, the address is a dotted
   *     quad, or its zone names no interface here
   */
  public static Ipv6TcpServer makeIpv6TcpServer(String hostAddress, int port) throws IpcException {
    return Ipc.shared().makeIpv6TcpServer(hostAddress, port);
  }

  /**
   * Makes a TCP server on an IPv6 address on the shared runtime, with options.
   *
   * @param hostAddress an IPv6 literal, such as {@link #IPV6_LOOPBACK}
   * @param port 0 to 65535; 0 lets the system pick a free port
   * @param options reuse-address and backlog
   * @return the listening server
   * @throws IpcException if the address cannot be bound, e.g. the port is in use or the system has
   *     no IPv6
   * @throws IllegalArgumentException if the address or port is malformed, the address is a dotted
   *     quad, or its zone names no interface here
   */
  public static Ipv6TcpServer makeIpv6TcpServer(String hostAddress, int port, ServerOptions options)
      throws IpcException {
    return Ipc.shared().makeIpv6TcpServer(hostAddress, port, options);
  }

  /**
   * Starts connecting to a TCP server on an IPv6 address on the shared runtime.
   *
   * @param hostAddress the server's IPv6 literal
   * @param port the server's port
   * @return the connecting stream
   * @throws IpcException if the runtime is closed
   * @throws IllegalArgumentException if the address or port is malformed, the address is a dotted
   *     quad, or its zone names no interface here
   */
  public static Ipv6TcpStream connectToIpv6TcpServer(String hostAddress, int port)
      throws IpcException {
    return Ipc.shared().connectToIpv6TcpServer(hostAddress, port);
  }

  /**
   * Starts connecting to a TCP server on an IPv6 address from a chosen local address and port, on
   * the shared runtime.
   *
   * @param hostAddress the server's IPv6 literal
   * @param port the server's port
   * @param localHostAddress the local IPv6 literal, or null for any
   * @param localPort the local port, or 0 for any
   * @return the connecting stream
   * @throws IpcException if the runtime is closed
   * @throws IllegalArgumentException if an address or port is malformed, an address is a dotted
   *     quad, or a zone names no interface here
   */
  public static Ipv6TcpStream connectToIpv6TcpServer(
      String hostAddress, int port, String localHostAddress, int localPort) throws IpcException {
    return Ipc.shared().connectToIpv6TcpServer(hostAddress, port, localHostAddress, localPort);
  }

  /**
   * Makes a local server on the shared runtime (the original's {@code make-local-server}).
   *
   * @param pathname where the socket file goes; nothing may exist there yet
   * @return the listening server
   * @throws IpcException if anything exists at {@code pathname} or it cannot be bound
   * @throws IllegalArgumentException if the path is longer than local sockets allow
   */
  public static LocalServer makeLocalServer(Path pathname) throws IpcException {
    return Ipc.shared().makeLocalServer(pathname);
  }

  /**
   * Makes a local server on the shared runtime, with options.
   *
   * @param pathname where the socket file goes; nothing may exist there yet
   * @param options backlog and delete-on-close
   * @return the listening server
   * @throws IpcException if anything exists at {@code pathname} or it cannot be bound
   * @throws IllegalArgumentException if the path is longer than local sockets allow
   */
  public static LocalServer makeLocalServer(Path pathname, ServerOptions options)
      throws IpcException {
    return Ipc.shared().makeLocalServer(pathname, options);
  }

  /**
   * Connects to a local server on the shared runtime (the original's {@code
   * connect-to-local-server}).
   *
   * @param pathname the server's socket file
   * @return the stream
   * @throws NoLocalServerException if no server listens at {@code pathname}
   * @throws IpcException if the connection is refused for another reason
   * @throws IllegalArgumentException if the path is longer than local sockets allow
   */
  public static LocalStream connectToLocalServer(Path pathname) throws IpcException {
    return Ipc.shared().connectToLocalServer(pathname);
  }

  /**
   * Makes a poller on the shared runtime (the original's {@code make-poller}).
   *
   * @return a new poller
   * @throws IpcException if the runtime is closed
   */
  public static Poller makePoller() throws IpcException {
    return Ipc.shared().makePoller();
  }

  /**
   * Waits for events on one socket (the original's {@code poll-socket}).
   *
   * @param socket the socket
   * @param events the events to wait for, not empty, each supported by the socket
   * @param timeout how long to wait
   * @return the requested events that hold, empty if none did
   * @throws IpcException if the socket is closed
   * @throws IllegalArgumentException if {@code events} is empty or holds an unsupported event
   */
  public static Set<SocketEvent> pollSocket(
      IpcSocket socket, Set<SocketEvent> events, Timeout timeout) throws IpcException {
    return Objects.requireNonNull(socket, "socket").poll(events, timeout);
  }

  /**
   * Waits until any of several sockets has one of its events (the original's {@code poll-sockets}).
   *
   * @param sockets the sockets, of any runtimes
   * @param events one non-empty event set per socket, in the same order
   * @param timeout how long to wait
   * @return one set per socket, in order, of the requested events that hold
   * @throws IpcException if any socket is closed
   * @throws IllegalArgumentException if the lists differ in length, or a set is empty or holds an
   *     event its socket does not support
   */
  public static List<Set<SocketEvent>> pollSockets(
      List<? extends IpcSocket> sockets, List<Set<SocketEvent>> events, Timeout timeout)
      throws IpcException {
    return Polling.pollSockets(sockets, events, timeout);
  }

  /**
   * Resolves a host name to an IPv4 address (the original's {@code resolve-ipv4-address}); this may
   * block on the system's resolver.
   *
   * @param hostname a host name or a dotted quad
   * @return the first IPv4 address as a dotted quad, or empty if the name has none
   * @throws IpcException never for an unknown name; reserved for resolver failures
   */
  public static Optional<String> resolveIpv4Address(String hostname) throws IpcException {
    Objects.requireNonNull(hostname, "hostname");
    if (Addresses.isIpv4(hostname)) {
      return Optional.of(hostname);
    }
    try {
      for (InetAddress address : InetAddress.getAllByName(hostname)) {
        if (address instanceof Inet4Address) {
          return Optional.of(address.getHostAddress());
        }
      }
      return Optional.empty();
    } catch (UnknownHostException unknown) {
      return Optional.empty();
    } catch (SecurityException denied) {
      throw new IpcException(
          "cannot resolve " + hostname + ": " + denied.getMessage(), null, denied);
    }
  }
}
