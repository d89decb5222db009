/**
 * bbipc on Netty's native epoll transport (Linux). Its provider is found by bbipc through {@link
 * java.util.ServiceLoader}; where the transport cannot run, it says why and the others remain.
 *
 * <p>On the module path, Netty's native library jar for the platform is a module that nothing
 * requires, so it must be added to the boot layer, e.g. {@code --add-modules
 * io.netty.transport.epoll.linux.x86_64}; on the class path it is found as it is.
 *
 * @provides io.bbipc.spi.TransportProvider the epoll transport
 */
module io.bbipc.epoll {
  requires transitive io.bbipc;
  requires io.netty.transport.classes.epoll;

  exports io.bbipc.epoll;

  provides io.bbipc.spi.TransportProvider with
      io.bbipc.epoll.EpollTransportProvider;
}
