package io.bbipc.iouring.internal;

import io.bbipc.spi.DuplexShutdown;
import io.bbipc.spi.LocalStreamChannelConfig;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.FileRegion;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.WritableByteChannel;

/**
 * A Unix domain stream on Netty's io_uring event loop that keeps sending after its peer's
 * end-of-stream when half-closure is allowed.
 *
 * <p>Netty's {@code IoUringDomainSocketChannel} (4.2.18, and 4.2.20 still) honours half-closure
 * only for a TCP config: at the peer's end-of-stream it closes the channel and drops what was
 * accepted and not yet sent; and, final with package-private bases, it cannot be changed from
 * outside Netty. This channel waits for readiness through io_uring ({@link RingPolls}) and moves
 * bytes with non-blocking {@code recv}/{@code write}/{@code writev} system calls on the loop's
 * thread, so no buffer is ever lent to the kernel.
 */
public final class IoUringLocalChannel extends AbstractChannel
    implements DuplexChannel, UnixChannel {
  private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

  /** {@code SOL_SOCKET} and {@code SO_PEERCRED} on Linux (every architecture but MIPS, PowerPC). */
  private static final int SOL_SOCKET = 1;

  private static final int SO_PEERCRED = 17;

  private final Socket socket;
  private final Config config;
  private final RingPolls polls;
  private volatile boolean active;
  private volatile boolean inputShutdown;
  private volatile boolean outputShutdown;
  private volatile DomainSocketAddress local;
  private volatile DomainSocketAddress remote;

  /** A read was asked for ({@link #read()}) and none has been delivered since. */
  private boolean readPending;

  /** Set while a connect waits for the kernel (never on Linux: see {@link RingUnsafe#connect}). */
  private ChannelPromise connectPromise;

  /** A stream that is yet to connect; public for bbipc's channel factory. */
  public IoUringLocalChannel() {
    this(null, Socket.newSocketDomain(), false);
  }

  /** A stream its server accepted. */
  IoUringLocalChannel(Channel parent, Socket socket) {
    this(parent, socket, true);
  }

  private IoUringLocalChannel(Channel parent, Socket socket, boolean connected) {
    super(parent);
    this.socket = socket;
    this.polls = new RingPolls(socket.intValue());
    this.config = new Config();
    if (connected) {
      active = true;
      local = socket.localDomainSocketAddress();
      remote = socket.remoteDomainSocketAddress();
    }
  }

  @Override
  public ChannelConfig config() {
    return config;
  }

  @Override
  public ChannelMetadata metadata() {
    return METADATA;
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
    return (DomainSocketAddress) super.remoteAddress();
  }

  @Override
  protected SocketAddress localAddress0() {
    return local;
  }

  @Override
  protected SocketAddress remoteAddress0() {
    return remote;
  }

  /**
   * Asks the kernel who is at the other end ({@code SO_PEERCRED}); call it on the event loop.
   *
   * @return the peer's pid, uid and gid
   * @throws IOException if the channel is closed or not connected, or the kernel refuses
   */
  public int[] peerCredentials() throws IOException {
    if (!socket.isOpen()) {
      // its number may be another socket's by now
      throw new ClosedChannelException();
    }
    if (!isActive()) {
      // Linux answers for an unconnected socket too, with pid 0 and uid -1
      throw new IOException("not connected: " + this);
    }
    ByteBuffer ucred = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder());
    socket.getRawOpt(SOL_SOCKET, SO_PEERCRED, ucred);
    return new int[] {ucred.getInt(0), ucred.getInt(4), ucred.getInt(8)};
  }

  /** Loop: the polls in the ring, as {@code POLLIN} and {@code POLLOUT} bits; for tests. */
  int interestOps() {
    return polls.interest();
  }

  /** Loop: the polls asked of the ring so far; for tests. */
  long pollsArmed() {
    return polls.armed();
  }

  /**
   * Netty's address for a path, which its socket calls take; the JDK's too is accepted, as Netty's
   * NIO channels take it.
   */
  static SocketAddress domainAddress(SocketAddress address) {
    if (address instanceof UnixDomainSocketAddress) {
      return new DomainSocketAddress(((UnixDomainSocketAddress) address).getPath().toString());
    }
    if (address instanceof DomainSocketAddress) {
      return address;
    }
    throw new IllegalArgumentException(
        "not a Unix domain socket address: "
            + address
            + " ("
            + (address == null ? "null" : address.getClass().getName())
            + ")");
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
    socket.bind(domainAddress(localAddress));
    local = socket.localDomainSocketAddress();
  }

  @Override
  protected void doDisconnect() throws Exception {
    doClose();
  }

  @Override
  protected void doClose() throws Exception {
    active = false;
    ChannelPromise connecting = connectPromise;
    if (connecting != null) {
      connectPromise = null;
      connecting.tryFailure(new ClosedChannelException());
    }
    // cancelled before the descriptor goes, so a poll never outlives its socket in the ring
    polls.cancel();
    socket.close();
  }

  // ---------------------------------------------------------------- reading

  @Override
  protected void doBeginRead() {
    readPending = true;
    // after end-of-stream a socket is readable for good: polling would spin
    if (!inputShutdown && active) {
      polls.armIn();
    }
  }

  /** Loop: the socket is readable, at end-of-stream, or failed. */
  private void readReady() {
    if (inputShutdown || !isActive()) {
      return;
    }
    if (!readPending && !config.isAutoRead()) {
      // paused meanwhile (bbipc's inbound limit): the bytes wait in the kernel
      return;
    }
    ChannelPipeline pipeline = pipeline();
    RecvByteBufAllocator.ExtendedHandle handle =
        (RecvByteBufAllocator.ExtendedHandle) unsafe().recvBufAllocHandle();
    handle.reset(config);
    ByteBuf buf = null;
    boolean ended = false;
    try {
      do {
        buf = directBuffer(handle.allocate(config.getAllocator()));
        handle.attemptedBytesRead(buf.writableBytes());
        handle.lastBytesRead(receive(buf));
        if (handle.lastBytesRead() <= 0) {
          buf.release();
          buf = null;
          ended = handle.lastBytesRead() < 0;
          break;
        }
        handle.incMessagesRead(1);
        readPending = false;
        pipeline.fireChannelRead(buf);
        buf = null;
        // a handler may have closed the channel (its descriptor's number may be another's now)
        // or shut its input down (recv would still drain the queue, where the JDK's stops)
      } while (isActive() && !inputShutdown && handle.continueReading());
      handle.readComplete();
      pipeline.fireChannelReadComplete();
      if (ended) {
        inputEnded();
      }
    } catch (Throwable t) {
      if (buf != null) {
        if (buf.isReadable()) {
          readPending = false;
          pipeline.fireChannelRead(buf);
        } else {
          buf.release();
        }
      }
      handle.readComplete();
      pipeline.fireChannelReadComplete();
      pipeline.fireExceptionCaught(t);
      if (t instanceof IOException || t instanceof OutOfMemoryError) {
        // a reset: closed, not half-closed, as NioLocalChannel is (Netty's NIO read loop keeps
        // a channel half-open after a failed read only for a TCP config)
        unsafe().close(voidPromise());
      }
    } finally {
      if (!inputShutdown && isActive() && (readPending || config.isAutoRead())) {
        polls.armIn();
      }
    }
  }

  /** A direct buffer for a heap one (released): the system calls need native memory. */
  private ByteBuf directBuffer(ByteBuf buf) {
    if (buf.hasMemoryAddress() || buf.isDirect()) {
      return buf;
    }
    int capacity = buf.capacity();
    buf.release();
    return config.getAllocator().directBuffer(capacity);
  }

  private int receive(ByteBuf buf) throws IOException {
    int writerIndex = buf.writerIndex();
    int read;
    if (buf.hasMemoryAddress()) {
      read = socket.recvAddress(buf.memoryAddress(), writerIndex, buf.capacity());
    } else {
      ByteBuffer nio = buf.internalNioBuffer(writerIndex, buf.writableBytes());
      read = socket.recv(nio, nio.position(), nio.limit());
    }
    if (read > 0) {
      buf.writerIndex(writerIndex + read);
    }
    return read;
  }

  /** The peer's end-of-stream: half-closed if allowed, else closed. */
  private void inputEnded() {
    if (inputShutdown || !isOpen()) {
      return;
    }
    if (config.isAllowHalfClosure()) {
      inputShutdown = true;
      try {
        socket.shutdown(true, false);
      } catch (IOException alreadyGone) {
        // the input is over either way
      }
      pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    } else {
      unsafe().close(voidPromise());
    }
  }

  // ---------------------------------------------------------------- writing

  @Override
  protected Object filterOutboundMessage(Object msg) {
    if (msg instanceof ByteBuf) {
      ByteBuf buf = (ByteBuf) msg;
      if (buf.isDirect()) {
        return buf;
      }
      // the system calls need native memory
      ByteBuf direct = alloc().directBuffer(buf.readableBytes());
      direct.writeBytes(buf, buf.readerIndex(), buf.readableBytes());
      buf.release();
      return direct;
    }
    if (msg instanceof FileRegion) {
      return msg;
    }
    throw new UnsupportedOperationException(
        "unsupported message type: "
            + msg.getClass().getName()
            + " (expected ByteBuf, FileRegion)");
  }

  @Override
  protected void doWrite(ChannelOutboundBuffer in) throws Exception {
    int spins = config.getWriteSpinCount();
    while (spins-- > 0) {
      Object msg = in.current();
      if (msg == null) {
        return;
      }
      if (msg instanceof FileRegion) {
        if (!writeRegion(in, (FileRegion) msg)) {
          polls.armOut();
          return;
        }
        continue;
      }
      // gathering writes: one system call for what many small writes queued
      ByteBuffer[] buffers = in.nioBuffers(1024, config.maxBytesPerWrite());
      int count = in.nioBufferCount();
      if (count == 0) {
        in.remove(); // an empty buffer
        continue;
      }
      long written =
          count == 1
              ? socket.write(buffers[0], buffers[0].position(), buffers[0].limit())
              : socket.writev(buffers, 0, count, in.nioBufferSize());
      if (written <= 0) {
        polls.armOut();
        return;
      }
      advance(buffers, count, written);
      in.removeBytes(written);
    }
    if (!in.isEmpty()) {
      // the spin count spent: other channels go first; the poll of a writable socket ends at once
      polls.armOut();
    }
  }

  /**
   * Moves the buffers' positions past what was written, as the JDK's channels do: the outbound
   * buffer keeps a message's buffer from one write to the next, and Netty's system calls leave
   * positions as they were, so the same bytes would go again.
   */
  private static void advance(ByteBuffer[] buffers, int count, long written) {
    for (int i = 0; i < count && written > 0; i++) {
      int step = (int) Math.min(buffers[i].remaining(), written);
      buffers[i].position(buffers[i].position() + step);
      written -= step;
    }
  }

  /** Writes what the socket takes of a region; false if it took nothing. */
  private boolean writeRegion(ChannelOutboundBuffer in, FileRegion region) throws IOException {
    if (region.transferred() >= region.count()) {
      in.remove();
      return true;
    }
    long written = region.transferTo(new SocketSink(), region.transferred());
    if (written > 0) {
      in.progress(written);
    }
    if (region.transferred() >= region.count()) {
      in.remove();
      return true;
    }
    return written > 0;
  }

  /** What a file region writes into: this socket, through native memory. */
  private final class SocketSink implements WritableByteChannel {
    @Override
    public int write(ByteBuffer src) throws IOException {
      if (src.isDirect()) {
        int written = socket.write(src, src.position(), src.limit());
        src.position(src.position() + written);
        return written;
      }
      ByteBuf direct = alloc().directBuffer(src.remaining());
      try {
        direct.writeBytes(src.duplicate());
        ByteBuffer nio = direct.internalNioBuffer(0, direct.readableBytes());
        int written = socket.write(nio, nio.position(), nio.limit());
        src.position(src.position() + written);
        return written;
      } finally {
        direct.release();
      }
    }

    @Override
    public boolean isOpen() {
      return socket.isOpen();
    }

    @Override
    public void close() {
      // the channel owns the socket
    }
  }

  /** Loop: the socket takes bytes again, or failed (the next write says how). */
  private void writeReady() {
    if (connectPromise != null) {
      finishConnect();
    } else if (isOpen()) {
      ((RingUnsafe) unsafe()).flushNow();
    }
  }

  // ---------------------------------------------------------------- connecting

  private void connected(SocketAddress requested, ChannelPromise promise) {
    boolean wasActive = isActive();
    active = true;
    local = socket.localDomainSocketAddress();
    remote =
        requested instanceof DomainSocketAddress
            ? (DomainSocketAddress) requested
            : socket.remoteDomainSocketAddress();
    boolean promiseSet = promise.trySuccess();
    if (!wasActive && isActive()) {
      pipeline().fireChannelActive();
    }
    if (!promiseSet) {
      // cancelled meanwhile: a connect no one waits for is closed
      unsafe().close(voidPromise());
    }
  }

  private void finishConnect() {
    ChannelPromise promise = connectPromise;
    connectPromise = null;
    try {
      if (socket.finishConnect()) {
        connected(null, promise);
      } else {
        connectPromise = promise;
        polls.armOut();
      }
    } catch (Throwable t) {
      promise.tryFailure(t);
      unsafe().close(voidPromise());
    }
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
    checkConnected();
    socket.shutdown(false, true);
    outputShutdown = true;
  }

  /** Linux lets an unconnected Unix socket be shut down; the JDK's channels, and so NIO, do not. */
  private void checkConnected() throws ClosedChannelException {
    if (!isOpen()) {
      throw new ClosedChannelException();
    }
    if (!isActive()) {
      throw new NotYetConnectedException();
    }
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

  /** Loop: shuts the input down as asked; a failure (never connected, closed) fails the future. */
  private void shutdownInputNow(ChannelPromise promise) {
    try {
      checkConnected();
      socket.shutdown(true, false);
      inputShutdown = true;
      promise.trySuccess();
    } catch (Throwable t) {
      promise.tryFailure(t);
    }
  }

  @Override
  public ChannelFuture shutdown() {
    return shutdown(newPromise());
  }

  @Override
  public ChannelFuture shutdown(ChannelPromise promise) {
    return DuplexShutdown.both(this, this::shutdownInputNow, promise);
  }

  /** Half-closure and the buffer sizes of Netty's socket. */
  private final class Config extends LocalStreamChannelConfig {
    Config() {
      super(IoUringLocalChannel.this);
      sendBufferChanged();
    }

    @Override
    protected void autoReadCleared() {
      // a read asked for before is void
      readPending = false;
    }

    @Override
    protected int bufferSize(ChannelOption<Integer> option) throws IOException {
      return option == ChannelOption.SO_SNDBUF
          ? socket.getSendBufferSize()
          : socket.getReceiveBufferSize();
    }

    @Override
    protected void setBufferSize(ChannelOption<Integer> option, int bytes) throws IOException {
      if (option == ChannelOption.SO_SNDBUF) {
        socket.setSendBufferSize(bytes);
      } else {
        socket.setReceiveBufferSize(bytes);
      }
    }
  }

  /** The channel's side of the ring: connect, flush and the completions of its polls. */
  private final class RingUnsafe extends AbstractUnsafe implements IoUringIoHandle {
    @Override
    public void connect(SocketAddress remote, SocketAddress localAddress, ChannelPromise promise) {
      if (!promise.setUncancellable() || !ensureOpen(promise)) {
        return;
      }
      if (connectPromise != null) {
        promise.setFailure(new ConnectionPendingException());
        return;
      }
      if (active) {
        promise.setFailure(new AlreadyConnectedException());
        return;
      }
      try {
        if (localAddress != null) {
          doBind(localAddress);
        }
        // Linux answers a non-blocking local connect at once (EAGAIN for a full backlog, an
        // error, or connected); false (EINPROGRESS) is still handled, by waiting to be writable
        SocketAddress address = domainAddress(remote);
        if (socket.connect(address)) {
          connected(address, promise);
        } else {
          connectPromise = promise;
          polls.armOut();
        }
      } catch (Throwable t) {
        promise.tryFailure(annotateConnectException(t, remote));
        close(voidPromise());
      }
    }

    @Override
    protected void flush0() {
      // a write waits for the socket's poll, which flushes when it ends; a write before the
      // connect ends fails as on Netty's channels (not yet connected)
      if (!polls.outArmed() || connectPromise != null) {
        super.flush0();
      }
    }

    void flushNow() {
      super.flush0();
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
      int ready = polls.completed((IoUringIoEvent) event);
      if (ready == RingPolls.POLLIN) {
        readReady();
      } else if (ready == RingPolls.POLLOUT) {
        writeReady();
      }
    }

    @Override
    public void close() {
      // the loop is shutting down
      close(voidPromise());
    }
  }
}
