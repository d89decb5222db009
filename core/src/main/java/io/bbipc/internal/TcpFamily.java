package io.bbipc.internal;

import io.bbipc.internal.address.Addresses;
import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * What sets IPv4 and IPv6 TCP sockets apart: the parser of their addresses, the text they show the
 * addresses in, and the class of their streams. {@link SocketMaker}'s TCP factories, {@link
 * RealTcpStream} and {@link RealTcpServer} do everything else the same for both.
 *
 * @param <S> the class of the family's streams
 */
final class TcpFamily<S extends RealTcpStream> {
  /** Makes a stream of the family's class, not yet attached to its channel. */
  interface StreamClass<S extends RealTcpStream> {
    S make(IpcRuntime runtime, Channel channel, RealTcpServer<S> server, boolean adopted);
  }

  static final TcpFamily<RealIpv4TcpStream> IPV4 = new TcpFamily<>(false, RealIpv4TcpStream::new);
  static final TcpFamily<RealIpv6TcpStream> IPV6 = new TcpFamily<>(true, RealIpv6TcpStream::new);

  private final boolean ipv6;
  private final StreamClass<S> streams;

  private TcpFamily(boolean ipv6, StreamClass<S> streams) {
    this.ipv6 = ipv6;
    this.streams = streams;
  }

  /** {@code "Ipv4"} or {@code "Ipv6"}, as the names of the sockets' classes begin. */
  String name() {
    return ipv6 ? "Ipv6" : "Ipv4";
  }

  /** Parses an address of the family before any I/O, naming it {@code what} if it is malformed. */
  InetAddress parse(String host, String what) {
    return ipv6 ? Addresses.parseIpv6(host, what) : Addresses.parseIpv4(host, what);
  }

  /**
   * The text of an address the user gave: a dotted quad as written (the parser takes only the
   * canonical form), an IPv6 address in RFC 5952 form.
   */
  String text(String given, InetAddress parsed) {
    return ipv6 ? Addresses.ipv6Text(parsed) : given;
  }

  /** The text of a connected channel's address (an IPv4 stream may have an IPv6 peer). */
  String text(InetSocketAddress address) {
    return ipv6 ? Addresses.ipv6HostAddress(address) : Addresses.hostAddress(address);
  }

  /** The wildcard address, which a connect binds when given only a local port. */
  InetAddress any() {
    return ipv6 ? Addresses.ipv6Any() : Addresses.parseIpv4(Addresses.IPV4_ANY, "any");
  }

  /** The wildcard address's text, a connecting stream's local address until it connects. */
  String anyText() {
    return ipv6 ? Addresses.IPV6_ANY : Addresses.IPV4_ANY;
  }

  /** An address and a port as text, as in messages and {@code toString}: IPv6 in brackets. */
  String where(String host, int port) {
    return ipv6 ? "[" + host + "]:" + port : host + ":" + port;
  }

  /** A connecting stream, addressed as the user asked until it connects. */
  S connecting(
      IpcRuntime runtime,
      Channel channel,
      String remoteHost,
      int remotePort,
      String localHost,
      int localPort) {
    S stream = streams.make(runtime, channel, null, false);
    stream.addressed(remoteHost, remotePort, localHost == null ? anyText() : localHost, localPort);
    return StreamTail.attached(stream);
  }

  /** A stream {@code server} accepted; its addresses are known once it is active. */
  S accepted(IpcRuntime runtime, Channel channel, RealTcpServer<S> server) {
    return StreamTail.attached(streams.make(runtime, channel, server, false));
  }

  /** An application's own channel, adopted. */
  S adopted(IpcRuntime runtime, Channel channel) {
    return ChannelAdoption.attached(streams.make(runtime, channel, null, true));
  }
}
