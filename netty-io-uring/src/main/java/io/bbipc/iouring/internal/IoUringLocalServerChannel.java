package io.bbipc.iouring.internal;

import io.netty.channel.AbstractServerChannel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.ServerDomainSocketChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.Map;

/**
 * A Unix domain server on Netty's io_uring event loop whose streams are {@link
 * IoUringLocalChannel}s; it waits for connections through io_uring and accepts them with
 * non-blocking {@code accept4} on the loop's thread. It never deletes its socket file: bbipc's
 * {@code SocketFiles} owns it.
 */
public final class IoUringLocalServerChannel extends AbstractServerChannel
    implements ServerDomainSocketChannel, UnixChannel {
  private final Socket socket;
  private final Config config;
  private final RingPolls polls;
  private volatile boolean active;
  private volatile DomainSocketAddress local;
  private boolean readPending;

  /** Where accept4 leaves the peer's address (unused: a Unix peer's is unnamed); loop only. */
  private final byte[] acceptedAddress = new byte[26];

  /** Public for bbipc's channel factory. */
  public IoUringLocalServerChannel() {
    this.socket = Socket.newSocketDomain();
    this.polls = new RingPolls(socket.intValue());
    this.config = new Config();
  }

  @Override
  public ChannelConfig config() {
    return config;
  }

  @Override
  public boolean isOpen() {
    return socket.isOpen();
  }

  @Override
  public boolean isActive() {
    return active && socket.isOpen();
  }

  @Override
  public FileDescriptor fd() {
    return socket;
  }

  @Override
  public DomainSocketAddress localAddress() {
    return (DomainSocketAddress) super.localAddress();
  }

  @Override
  public DomainSocketAddress remoteAddress() {
    return null;
  }

  @Override
  protected SocketAddress localAddress0() {
    return local;
  }

  @Override
  protected boolean isCompatible(EventLoop loop) {
    return RingPolls.isCompatible(loop, RingUnsafe.class);
  }

  @Override
  protected AbstractUnsafe newUnsafe() {
    return new RingUnsafe();
  }

  @Override
  protected void doRegister(ChannelPromise promise) {
    polls.register(eventLoop(), (RingUnsafe) unsafe(), promise);
  }

  @Override
  protected void doDeregister() {
    polls.deregister();
  }

  @Override
  protected void doBind(SocketAddress localAddress) throws Exception {
    SocketAddress address = IoUringLocalChannel.domainAddress(localAddress);
    socket.bind(address);
    socket.listen(config.backlog);
    local = (DomainSocketAddress) address;
    active = true;
  }

  @Override
  protected void doClose() throws Exception {
    active = false;
    polls.cancel();
    socket.close();
  }

  @Override
  protected void doBeginRead() {
    readPending = true;
    if (active) {
      polls.armIn();
    }
  }

  /** Loop: a connection waits, or the socket failed. */
  private void acceptReady() {
    if (!isActive() || !readPending && !config.isAutoRead()) {
      return;
    }
    ChannelPipeline pipeline = pipeline();
    RecvByteBufAllocator.ExtendedHandle handle =
        (RecvByteBufAllocator.ExtendedHandle) unsafe().recvBufAllocHandle();
    handle.reset(config);
    Throwable failure = null;
    try {
      do {
        int fd = socket.accept(acceptedAddress);
        if (fd < 0) {
          break;
        }
        handle.incMessagesRead(1);
        readPending = false;
        IoUringLocalChannel child;
        try {
          child = new IoUringLocalChannel(this, new Socket(fd));
        } catch (Throwable t) {
          // one connection that cannot be set up is closed and told; the server goes on
          closeQuietly(fd);
          pipeline.fireExceptionCaught(t);
          continue;
        }
        pipeline.fireChannelRead(child);
        // a handler may have closed the server: its descriptor's number may be another's now
      } while (isActive() && handle.continueReading());
    } catch (Throwable t) {
      failure = t;
    }
    handle.readComplete();
    pipeline.fireChannelReadComplete();
    if (failure != null) {
      // EMFILE and the like: the server stays, as Netty's servers do on an IOException
      pipeline.fireExceptionCaught(failure);
      if (!(failure instanceof IOException)) {
        unsafe().close(voidPromise());
        return;
      }
    }
    if (isActive() && (readPending || config.isAutoRead())) {
      polls.armIn();
    }
  }

  private static void closeQuietly(int fd) {
    try {
      new FileDescriptor(fd).close();
    } catch (IOException alreadyGone) {
      // nothing more to release
    }
  }

  /** The server's side of the ring: the completions of its polls. */
  private final class RingUnsafe extends AbstractUnsafe implements IoUringIoHandle {
    @Override
    public void connect(SocketAddress remote, SocketAddress localAddress, ChannelPromise promise) {
      safeSetFailure(promise, new UnsupportedOperationException("a server does not connect"));
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
      if (polls.completed((IoUringIoEvent) event) == RingPolls.POLLIN) {
        acceptReady();
      }
    }

    @Override
    public void close() {
      // the loop is shutting down
      close(voidPromise());
    }
  }

  /** The backlog and Netty's own options. */
  private final class Config extends DefaultChannelConfig {
    private volatile int backlog = 128;

    Config() {
      // accepts count no bytes: Netty's default allocator would stop after one per poll
      super(IoUringLocalServerChannel.this, new ServerChannelRecvByteBufAllocator());
    }

    @Override
    protected void autoReadCleared() {
      readPending = false;
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
      return getOptions(super.getOptions(), ChannelOption.SO_BACKLOG, ChannelOption.SO_RCVBUF);
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getOption(ChannelOption<T> option) {
      if (option == ChannelOption.SO_BACKLOG) {
        return (T) Integer.valueOf(backlog);
      }
      if (option == ChannelOption.SO_RCVBUF) {
        try {
          return (T) Integer.valueOf(socket.getReceiveBufferSize());
        } catch (IOException e) {
          throw new ChannelException(e);
        }
      }
      return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
      validate(option, value);
      if (option == ChannelOption.SO_BACKLOG) {
        int b = (Integer) value;
        if (b < 0) {
          throw new IllegalArgumentException("backlog: " + b + " (expected: >= 0)");
        }
        backlog = b;
      } else if (option == ChannelOption.SO_RCVBUF) {
        try {
          // accepted sockets inherit it
          socket.setReceiveBufferSize((Integer) value);
        } catch (IOException e) {
          throw new ChannelException(e);
        }
      } else {
        return super.setOption(option, value);
      }
      return true;
    }
  }
}
