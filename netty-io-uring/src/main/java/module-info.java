/**
 * bbipc on Netty's native io_uring transport (Linux 5.9+, the oldest kernel Netty 4.2.18 accepts).
 * Its provider is found by bbipc through {@link java.util.ServiceLoader}; where the transport
 * cannot run, it says why and the others remain.
 *
 * <p>On the module path, Netty's native library jar for the platform is a module that nothing
 * requires, so it must be added to the boot layer, e.g. {@code --add-modules
 * io.netty.transport.io_uring.linux.x86_64}; on the class path it is found as it is.
 *
 * @provides io.bbipc.spi.TransportProvider the io_uring transport
 */
module io.bbipc.iouring {
  requires transitive io.bbipc;
  requires io.netty.transport.classes.io_uring;

  exports io.bbipc.iouring;
  // bbipc's channel factory makes the local channels by reflection
  exports io.bbipc.iouring.internal to
      io.bbipc;

  provides io.bbipc.spi.TransportProvider with
      io.bbipc.iouring.IoUringTransportProvider;
}
