package io.bbipc.nio;

import io.bbipc.spi.DuplexShutdown;
import io.bbipc.spi.LocalStreamChannelConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.AbstractNioByteChannel;
import io.netty.channel.nio.NioIoOps;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.DuplexChannelConfig;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.RejectedExecutionException;

/**
 * A Unix domain stream on Netty's NIO event loop that keeps sending after its peer's end-of-stream
 * when half-closure is allowed.
 *
 * <p>Netty's own {@code NioDomainSocketChannel} (4.2.18, and 4.2.20 still) has the option, but its
 * read loop honours it only for a TCP config ({@code SocketChannelConfig}): at the peer's
 * end-of-stream it closes the channel and drops what was accepted and not yet sent. Here the read
 * that meets end-of-stream ends the input instead and tells the pipeline once that read is done.
 *
 * <p>Public, as is its no-argument constructor, because bbipc's channel factory makes it by
 * reflection from another package ({@code io.bbipc.internal}), and because the NIO canary test uses
 * it as its control.
 */
public final class NioLocalChannel extends AbstractNioByteChannel implements DuplexChannel {
  private final Config config;
  private volatile boolean inputShutdown;
  private volatile boolean outputShutdown;

  /** A stream that is yet to connect; public for bbipc's channel factory. */
  public NioLocalChannel() {
    this(null, UnixChannels.open(SocketChannel::open, "socket"));
  }

  /** A stream its server accepted. */
  NioLocalChannel(Channel parent, SocketChannel socket) {
    super(parent, socket);
    this.config = new Config(socket);
  }

  @Override
  public DuplexChannelConfig config() {
    return config;
  }

  @Override
  protected SocketChannel javaChannel() {
    return (SocketChannel) super.javaChannel();
  }

  @Override
  public boolean isActive() {
    SocketChannel ch = javaChannel();
    return ch.isOpen() && ch.isConnected();
  }

  // ---------------------------------------------------------------- reading

  @Override
  protected int doReadBytes(ByteBuf buf) throws Exception {
    int attempted = buf.writableBytes();
    unsafe().recvBufAllocHandle().attemptedBytesRead(attempted);
    int read = buf.writeBytes(javaChannel(), attempted);
    if (read < 0 && config.isAllowHalfClosure() && !inputShutdown) {
      inputShutdown = true;
      try {
        javaChannel().shutdownInput();
      } catch (IOException | RuntimeException alreadyGone) {
        // the input is over either way
      }
      // after this read's channelRead and channelReadComplete, as Netty's TCP channels order it;
      // at once if the loop is shutting down and takes no more tasks
      Runnable tell =
          () -> {
            if (isOpen()) {
              pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            }
          };
      try {
        eventLoop().execute(tell);
      } catch (RejectedExecutionException shuttingDown) {
        tell.run();
      }
      return 0;
    }
    return read;
  }

  @Override
  protected boolean isInputShutdown0() {
    // true stops the read loop asking again for the end-of-stream it has seen
    return inputShutdown;
  }

  /** Loop: shuts the input down as asked; a failure (never connected, closed) fails the future. */
  private void shutdownInputNow(ChannelPromise promise) {
    try {
      javaChannel().shutdownInput();
      inputShutdown = true;
      promise.trySuccess();
    } catch (Throwable t) {
      promise.tryFailure(t);
    }
  }

  // ---------------------------------------------------------------- writing

  @Override
  protected int doWriteBytes(ByteBuf buf) throws Exception {
    return buf.readBytes(javaChannel(), buf.readableBytes());
  }

  @Override
  protected long doWriteFileRegion(FileRegion region) throws Exception {
    return region.transferTo(javaChannel(), region.transferred());
  }

  @Override
  protected void doWrite(ChannelOutboundBuffer in) throws Exception {
    // gathering writes: one system call for what many small writes queued
    int spins = config.getWriteSpinCount();
    while (spins > 0) {
      if (in.isEmpty()) {
        clearOpWrite();
        return;
      }
      ByteBuffer[] buffers = in.nioBuffers(1024, config.maxBytesPerWrite());
      int count = in.nioBufferCount();
      if (count == 0) {
        // not a plain buffer (a file region): the superclass's one-message path
        spins -= doWrite0(in);
        continue;
      }
      long written =
          count == 1 ? javaChannel().write(buffers[0]) : javaChannel().write(buffers, 0, count);
      if (written <= 0) {
        incompleteWrite(true);
        return;
      }
      in.removeBytes(written);
      spins--;
    }
    incompleteWrite(spins < 0);
  }

  // ---------------------------------------------------------------- connecting and closing

  @Override
  protected SocketAddress localAddress0() {
    return UnixChannels.addressOrNull(javaChannel()::getLocalAddress);
  }

  @Override
  protected SocketAddress remoteAddress0() {
    return UnixChannels.addressOrNull(javaChannel()::getRemoteAddress);
  }

  @Override
  protected void doBind(SocketAddress localAddress) throws Exception {
    javaChannel().bind(localAddress);
  }

  @Override
  protected boolean doConnect(SocketAddress remote, SocketAddress local) throws Exception {
    if (local != null) {
      doBind(local);
    }
    boolean done = false;
    try {
      boolean connected = javaChannel().connect(remote);
      if (!connected) {
        addAndSubmit(NioIoOps.CONNECT);
      }
      done = true;
      return connected;
    } finally {
      if (!done) {
        doClose();
      }
    }
  }

  @Override
  protected void doFinishConnect() throws Exception {
    if (!javaChannel().finishConnect()) {
      throw new IOException("connect of " + this + " has not finished");
    }
  }

  @Override
  protected void doDisconnect() throws Exception {
    doClose();
  }

  @Override
  protected void doClose() throws Exception {
    UnixChannels.close(super::doClose, javaChannel());
  }

  // ---------------------------------------------------------------- half-closure

  @Override
  public boolean isInputShutdown() {
    return inputShutdown || !isActive();
  }

  @Override
  public boolean isOutputShutdown() {
    return outputShutdown || !isActive();
  }

  @Override
  public boolean isShutdown() {
    return isInputShutdown() && isOutputShutdown() || !isActive();
  }

  @Override
  protected void doShutdownOutput() throws Exception {
    javaChannel().shutdownOutput();
    outputShutdown = true;
  }

  @Override
  public ChannelFuture shutdownOutput() {
    return shutdownOutput(newPromise());
  }

  @Override
  public ChannelFuture shutdownOutput(ChannelPromise promise) {
    // the unsafe's shutdownOutput fails what is still queued, as Netty's channels do
    DuplexShutdown.onLoop(this, () -> ((AbstractUnsafe) unsafe()).shutdownOutput(promise));
    return promise;
  }

  @Override
  public ChannelFuture shutdownInput() {
    return shutdownInput(newPromise());
  }

  @Override
  public ChannelFuture shutdownInput(ChannelPromise promise) {
    DuplexShutdown.onLoop(this, () -> shutdownInputNow(promise));
    return promise;
  }

  @Override
  public ChannelFuture shutdown() {
    return shutdown(newPromise());
  }

  @Override
  public ChannelFuture shutdown(ChannelPromise promise) {
    return DuplexShutdown.both(this, this::shutdownInputNow, promise);
  }

  /**
   * Half-closure and the buffer sizes of the JDK's socket; a {@link DuplexChannelConfig}, as the
   * config of Netty's own NIO domain socket channel is.
   */
  private final class Config extends LocalStreamChannelConfig implements DuplexChannelConfig {
    private final SocketChannel socket;

    Config(SocketChannel socket) {
      super(NioLocalChannel.this);
      this.socket = socket;
      sendBufferChanged();
    }

    @Override
    protected void autoReadCleared() {
      clearReadPending();
    }

    @Override
    protected int bufferSize(ChannelOption<Integer> option) throws IOException {
      return socket.getOption(jdkOption(option));
    }

    @Override
    protected void setBufferSize(ChannelOption<Integer> option, int bytes) throws IOException {
      socket.setOption(jdkOption(option), bytes);
    }

    private SocketOption<Integer> jdkOption(ChannelOption<Integer> option) {
      return option == ChannelOption.SO_SNDBUF
          ? StandardSocketOptions.SO_SNDBUF
          : StandardSocketOptions.SO_RCVBUF;
    }

    @Override
    public Config setAllowHalfClosure(boolean allow) {
      setOption(ChannelOption.ALLOW_HALF_CLOSURE, allow);
      return this;
    }

    // DuplexChannelConfig narrows the return type of ChannelConfig's setters

    @Override
    @Deprecated
    public Config setMaxMessagesPerRead(int maxMessagesPerRead) {
      super.setMaxMessagesPerRead(maxMessagesPerRead);
      return this;
    }

    @Override
    public Config setWriteSpinCount(int writeSpinCount) {
      super.setWriteSpinCount(writeSpinCount);
      return this;
    }

    @Override
    public Config setAllocator(ByteBufAllocator allocator) {
      super.setAllocator(allocator);
      return this;
    }

    @Override
    public Config setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
      super.setRecvByteBufAllocator(allocator);
      return this;
    }

    @Override
    public Config setAutoRead(boolean autoRead) {
      super.setAutoRead(autoRead);
      return this;
    }

    @Override
    public Config setAutoClose(boolean autoClose) {
      super.setAutoClose(autoClose);
      return this;
    }

    @Override
    public Config setMessageSizeEstimator(MessageSizeEstimator estimator) {
      super.setMessageSizeEstimator(estimator);
      return this;
    }

    @Override
    public Config setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
      super.setWriteBufferWaterMark(writeBufferWaterMark);
      return this;
    }
  }
}
