/**
 * bbipc: binary byte streams between processes over TCP and local sockets, on Netty.
 *
 * <p>{@code io.bbipc} is the API, {@code io.bbipc.netty} joins it to a Netty application, and
 * {@code io.bbipc.spi} is what a transport module implements. The implementation, {@code
 * io.bbipc.internal}, is not exported. The transports are found with {@link
 * java.util.ServiceLoader}: NIO is built in, and each native transport module ({@code
 * io.bbipc.epoll}, {@code io.bbipc.iouring}, {@code io.bbipc.kqueue}) provides its own.
 *
 * @uses io.bbipc.spi.TransportProvider
 * @provides io.bbipc.spi.TransportProvider NIO, the transport that runs everywhere
 */
module io.bbipc {
  // Netty's types appear in the API and SPI: EventLoopGroup, Channel and ChannelPipeline
  // (transport), whose own methods use common's and buffer's types (Future, ByteBufAllocator),
  // which Netty's transport module does not pass on; and DomainSocketAddress and PeerCredentials
  // (unix common) in the SPI. So a module that reads io.bbipc reads all four.
  requires transitive io.netty.transport;
  requires transitive io.netty.buffer;
  requires transitive io.netty.common;
  requires transitive io.netty.transport.unix.common;
  // bbipc's JFR events (off unless a recording enables them)
  requires jdk.jfr;

  exports io.bbipc;
  exports io.bbipc.netty;
  exports io.bbipc.spi;

  uses io.bbipc.spi.TransportProvider;

  provides io.bbipc.spi.TransportProvider with
      io.bbipc.nio.NioTransportProvider;
}
