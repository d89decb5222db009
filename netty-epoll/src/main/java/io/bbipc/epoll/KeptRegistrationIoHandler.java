package io.bbipc.epoll;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;

/**
 * Netty's epoll I/O handler, except that a socket is never taken out of the epoll set while its
 * channel is registered.
 *
 * <p>Netty 4.2 (EpollIoHandler) removes a socket from the epoll set once its channel waits for
 * nothing, but keeps the registration marked as added, so the next wait it asks for (say, for
 * writability) fails with {@code epoll_ctl(..) failed with error(-2)} and Netty shuts the channel's
 * output down. A half-closed stream gets there every time: after the peer's end-of-stream it waits
 * for nothing until it has more to write than the socket takes at once. Here "nothing" is submitted
 * as edge-triggered interest in no event instead, which keeps the socket in the set and reports a
 * hang-up or an error once, not over and over.
 */
final class KeptRegistrationIoHandler implements IoHandler {
  private final IoHandler epoll;

  private KeptRegistrationIoHandler(IoHandler epoll) {
    this.epoll = epoll;
  }

  /** A factory of these handlers around Netty's own. */
  static IoHandlerFactory newFactory() {
    IoHandlerFactory netty = EpollIoHandler.newFactory();
    return executor -> new KeptRegistrationIoHandler(netty.newHandler(executor));
  }

  @Override
  public void initialize() {
    epoll.initialize();
  }

  @Override
  public int run(IoHandlerContext context) {
    return epoll.run(context);
  }

  @Override
  public void prepareToDestroy() {
    epoll.prepareToDestroy();
  }

  @Override
  public void destroy() {
    epoll.destroy();
  }

  @Override
  public IoRegistration register(IoHandle handle) throws Exception {
    return new Kept(epoll.register(handle));
  }

  @Override
  public void wakeup() {
    epoll.wakeup();
  }

  @Override
  public boolean isCompatible(Class<? extends IoHandle> handleType) {
    return epoll.isCompatible(handleType);
  }

  /** A registration that submits "no events" as edge-triggered interest in none. */
  private static final class Kept implements IoRegistration {
    private final IoRegistration registration;

    Kept(IoRegistration registration) {
      this.registration = registration;
    }

    @Override
    public <T> T attachment() {
      return registration.attachment();
    }

    @Override
    public long submit(IoOps ops) {
      if (ops instanceof EpollIoOps && ((EpollIoOps) ops).value() == 0) {
        return registration.submit(EpollIoOps.EPOLLET);
      }
      return registration.submit(ops);
    }

    @Override
    public boolean isValid() {
      return registration.isValid();
    }

    @Override
    public boolean cancel() {
      return registration.cancel();
    }
  }
}
