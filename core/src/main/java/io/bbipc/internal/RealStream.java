package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.StreamStats;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * A stream on one Netty channel, and the owner of its state: its {@link StreamTail} handler hands
 * it the channel's events, which it turns into stream state on the event loop; user threads read,
 * write and poll. The ways in and out are {@link StreamInbound} and {@link StreamOutput}; {@link
 * ResetProbe} asks the kernel what the transport may not say, {@link StreamCounters} counts.
 */
abstract class RealStream extends AbstractSocket implements StreamSocket {
  final Channel channel;
  private final ReadyFutures readyFutures = new ReadyFutures(this);

  /** The server that accepted this stream, or null for a connecting stream. */
  private final RealServer<?> acceptedBy;

  /** Whether the peer's end-of-stream leaves this stream open for writing. */
  private final boolean halfClosure;

  /** Set by shutdownOutput: nothing more may be written. */
  private volatile boolean outputShut;

  /** A mask of DETERMINED, CONNECTION_SUCCEEDED, CONNECTION_FAILED and REMOTE_DISCONNECTED. */
  private volatile int state;

  private volatile Throwable failure;

  /** Asks the kernel whether the connection is gone where the transport may not tell. */
  private final ResetProbe resetProbe;

  private final StreamCounters counters;
  private final StreamInbound inbound;
  private final StreamOutput output;

  /** Whether the peer's going was reported to a recording; event loop only. */
  private boolean disconnectReported;

  /**
   * Makes the stream of a channel; for a channel bbipc made, {@code SocketMaker} has configured it.
   *
   * @param acceptedBy the server that accepted the channel, or null
   * @param adopted true for a channel an application made and configured itself, perhaps already
   *     active: bbipc adds its handler and nothing else
   */
  RealStream(IpcRuntime runtime, Channel channel, RealServer<?> acceptedBy, boolean adopted) {
    super(runtime);
    this.channel = channel;
    this.acceptedBy = acceptedBy;
    this.counters = new StreamCounters(channel);
    this.inbound = new StreamInbound(this, counters.pauses);
    this.output = new StreamOutput(channel, counters, runtime.outboundBufferLimit(), adopted);
    this.halfClosure =
        adopted
            ? Boolean.TRUE.equals(channel.config().getOption(ChannelOption.ALLOW_HALF_CLOSURE))
            : acceptedBy != null ? acceptedBy.halfClosure : runtime.halfClosure();
    this.resetProbe = new ResetProbe(this, runtime.transport(), inbound);
  }

  /**
   * Event loop, adopting: the stream takes the channel's state as it is. An active channel is
   * connected, a closed one failed; one open but not active has a connect under way, and {@link
   * StreamTail#connect} determines the stream when it ends, or {@link #closedUndetermined} if the
   * channel closes first (a failed connect closes it without channelInactive).
   */
  final void adoptedAsIs() {
    if (channel.isActive()) {
      connected();
      state = Events.DETERMINED | Events.CONNECTION_SUCCEEDED;
    } else if (!channel.isOpen()) {
      state = Events.DETERMINED | Events.CONNECTION_FAILED;
    }
  }

  /** Event loop: an adopted channel closed; the connect it had under way, if any, failed. */
  final void closedUndetermined() {
    if ((state & Events.DETERMINED) == 0) {
      become(Events.DETERMINED | Events.CONNECTION_FAILED);
    }
  }

  @Override
  final int supportedMask() {
    return Events.STREAM_EVENTS;
  }

  @Override
  final int currentEvents() {
    if (isClosed()) {
      return 0;
    }
    int events = state;
    if ((events & Events.CONNECTION_SUCCEEDED) != 0 && channel.eventLoop().isShuttingDown()) {
      // the event loop has stopped or is stopping: nothing will be sent or received any more
      events = Events.DETERMINED | Events.CONNECTION_FAILED | Events.REMOTE_DISCONNECTED;
    }
    if (inbound.readable() > 0) {
      events |= Events.DATA_AVAILABLE;
    }
    if ((events & Events.CONNECTION_SUCCEEDED) != 0 && channel.isWritable() && !outputShut) {
      events |= Events.READY_TO_WRITE;
    }
    return events;
  }

  @Override
  public final boolean determined() {
    return holds(Events.DETERMINED);
  }

  @Override
  public final boolean connectionSucceeded() {
    return holds(Events.CONNECTION_SUCCEEDED);
  }

  @Override
  public final boolean connectionFailed() {
    return holds(Events.CONNECTION_FAILED);
  }

  @Override
  public final boolean dataAvailable() {
    return holds(Events.DATA_AVAILABLE);
  }

  @Override
  public final boolean readyToWrite() {
    return holds(Events.READY_TO_WRITE);
  }

  @Override
  public final boolean remoteDisconnected() {
    return holds(Events.REMOTE_DISCONNECTED);
  }

  @Override
  public final int readFromStream(byte[] buffer) throws IpcException {
    return readFromStream(buffer, 0, Objects.requireNonNull(buffer, "buffer").length, false);
  }

  @Override
  public final int readFromStream(byte[] buffer, int start, int end) throws IpcException {
    return readFromStream(buffer, start, end, false);
  }

  @Override
  public final int readFromStream(byte[] buffer, int start, int end, boolean peek)
      throws IpcException {
    checkRange(buffer, start, end);
    enterToRead(end - start);
    return inbound.read(buffer, start, end - start, peek);
  }

  @Override
  public final int readFromStream(ByteBuffer destination) throws IpcException {
    Objects.requireNonNull(destination, "destination");
    if (destination.isReadOnly()) {
      throw new java.nio.ReadOnlyBufferException();
    }
    enterToRead(destination.remaining());
    return inbound.read(destination);
  }

  /**
   * A caller-driven owner first takes in what the kernel holds, unless the buffer already holds all
   * that is asked for (a ping-pong's read then costs no system call).
   */
  private void enterToRead(int wanted) throws IpcException {
    runtime.enter(this);
    checkOpen();
    if (inbound.readable() < wanted && runtime.runNow() > 0) {
      checkOpen();
    }
  }

  /** Event loop: keeps a chunk; a pause at the inbound limit starts the reset probe. */
  final void received(ByteBuf chunk) {
    resetProbe.received();
    counters.received(chunk.readableBytes());
    if (inbound.add(chunk)) {
      resetProbe.paused();
    }
  }

  /** Event loop: a batch of reads ended; one wake-up for it, then a probe where resets hide. */
  final void readBatchEnded() {
    stateChanged();
    resetProbe.afterReads();
  }

  @Override
  public final int writeToStream(byte[] buffer) throws IpcException {
    return writeToStream(buffer, 0, Objects.requireNonNull(buffer, "buffer").length);
  }

  @Override
  public final int writeToStream(byte[] buffer, int start, int end) throws IpcException {
    checkRange(buffer, start, end);
    int n = counters.written(writable(end - start), end - start);
    if (n > 0) {
      send(output.copy(buffer, start, n));
    }
    return n;
  }

  @Override
  public final int writeToStream(ByteBuffer source) throws IpcException {
    Objects.requireNonNull(source, "source");
    int n = counters.written(writable(source.remaining()), source.remaining());
    if (n > 0) {
      send(output.copy(source, n));
    }
    return n;
  }

  @Override
  public final StreamStats stats() {
    return counters.snapshot(inbound);
  }

  private void send(ByteBuf chunk) throws IpcException {
    try {
      output.send(chunk);
    } catch (RejectedExecutionException loopGone) {
      throw eventLoopGone(loopGone);
    }
    runtime.submitWrites();
  }

  private IpcException eventLoopGone(Throwable cause) {
    return new IpcException(
        "cannot write to " + this + ": its event loop has shut down", this, cause);
  }

  /**
   * How many of {@code wanted} bytes the outbound buffer takes now; a caller-driven owner whose
   * buffer is full first lets the loop flush it.
   */
  private int writable(int wanted) throws IpcException {
    runtime.enter(this);
    int n = writableNow(wanted);
    if (n == 0 && wanted > 0 && runtime.runNow() > 0) {
      n = writableNow(wanted);
    }
    return n;
  }

  private int writableNow(int wanted) throws IpcException {
    checkOpen();
    int s = state;
    if ((s & Events.CONNECTION_FAILED) != 0) {
      // (a half-closed peer, REMOTE_DISCONNECTED without CONNECTION_FAILED, may still be written
      // to)
      throw failed("cannot write to ", s);
    }
    if ((s & Events.CONNECTION_SUCCEEDED) != 0 && channel.eventLoop().isShuttingDown()) {
      throw eventLoopGone(null);
    }
    if (outputShut) {
      throw new IpcException("cannot write to " + this + ": its output is shut down", this);
    }
    return (s & Events.CONNECTION_SUCCEEDED) == 0 ? 0 : output.room(wanted);
  }

  /** Why {@code doing} this stream, in state {@code s} (failed), cannot be done. */
  private IpcException failed(String doing, int s) {
    String why =
        (s & Events.REMOTE_DISCONNECTED) != 0
            ? "the peer has disconnected"
            : "the connection failed";
    return new IpcException(doing + this + ": " + why, this, failure);
  }

  @Override
  public final void shutdownOutput() throws IpcException {
    runtime.enter(this);
    checkOpen();
    if (outputShut) {
      return;
    }
    int s = state;
    if ((s & Events.CONNECTION_FAILED) != 0) {
      throw failed("cannot shut down the output of ", s);
    }
    outputShut = true;
    try {
      output.endAfterWrites(runtime.isCallerDriven());
    } catch (RejectedExecutionException loopGone) {
      throw eventLoopGone(loopGone);
    }
    runtime.submitWrites();
    stateChanged();
  }

  /**
   * Event loop: the peer has finished sending, or, when {@code readError} is not null, the input
   * ended because a read failed.
   */
  final void peerEnded(Throwable readError) {
    resetProbe.inputEnded();
    int s = state;
    if ((s & Events.CONNECTION_SUCCEEDED) == 0) {
      return;
    }
    if (readError != null) {
      // Netty's channels shut only the input down after a failed read (a reset, a timeout) when
      // half-closure is allowed, as at an end-of-stream; but the peer has gone altogether
      peerGone("closed after " + readError);
      return;
    }
    reportDisconnect(
        halfClosure ? "end of stream; still open for writing (half-closure)" : "end of stream");
    if (halfClosure) {
      become(Events.DETERMINED | Events.CONNECTION_SUCCEEDED | Events.REMOTE_DISCONNECTED);
      if (!outputShut) {
        resetProbe.halfOpen();
      }
    } else {
      become(Events.DETERMINED | Events.CONNECTION_FAILED | Events.REMOTE_DISCONNECTED);
      // What was accepted before is still delivered while the peer reads, then the channel
      // closes. Queued, not run here: the loop reads before it runs its tasks, so writes the
      // user made before this end-of-stream may still be waiting in the task queue.
      output.closeAfterFlush();
    }
  }

  /**
   * Event loop: the peer has gone altogether (reset, or timed out); what it sent before stays
   * buffered for the reader, and the channel closes, as Netty closes it after a failed read without
   * half-closure.
   */
  final void peerGone(String how) {
    reportDisconnect(how);
    become(Events.DETERMINED | Events.CONNECTION_FAILED | Events.REMOTE_DISCONNECTED);
    channel.close();
  }

  /**
   * Event loop, for the reset probe: the peer's end-of-stream left this stream connected and its
   * own output open (the kernel's CLOSE_WAIT), where only a reset or a timeout ends the connection.
   */
  final boolean sendsAfterPeerEnded() {
    boolean outputOpen =
        !outputShut
            && !(channel instanceof DuplexChannel && ((DuplexChannel) channel).isOutputShutdown());
    return halfClosure && (state & Events.CONNECTION_SUCCEEDED) != 0 && outputOpen;
  }

  static void checkRange(byte[] buffer, int start, int end) {
    Objects.requireNonNull(buffer, "buffer");
    if (start < 0 || end < 0 || start > end || end > buffer.length) {
      String range = "start " + start + " and end " + end;
      throw new IndexOutOfBoundsException(
          range + " must satisfy 0 <= start <= end <= buffer length " + buffer.length);
    }
  }

  @Override
  public final CompletableFuture<Set<SocketEvent>> whenReady(Set<SocketEvent> events) {
    int mask = Events.toMask(events, supportedMask(), this);
    runtime.enter(this);
    if (isClosed()) {
      return CompletableFuture.failedFuture(new IpcException(this + " is closed", this));
    }
    return readyFutures.add(mask);
  }

  @Override
  final void afterStateChanged() {
    readyFutures.signal();
  }

  @Override
  final int asyncListenerCount() {
    return readyFutures.live();
  }

  /**
   * Fails the pending whenReady futures from any thread: the stream's caller-driven loop will never
   * run again to check them (its owner ended, and no other thread may run it).
   */
  final void failPendingFutures() {
    readyFutures.failAll();
  }

  @Override
  final void closeOnce() {
    // a pause under way ends with the close: its time stops, and its event is committed with what
    // the close drops
    inbound.closed();
    StreamEvents.closed(this, channel, "stream", inbound.consumed(), counters.bytesWritten());
    inbound.release();
    // queued behind every write this thread made, so accepted bytes are flushed before the close
    output.closeAfterFlush();
  }

  @Override
  final ChannelFuture channelCloseFuture() {
    return channel.closeFuture();
  }

  /** Event loop: the stream's state is now {@code next}; whoever waits is told. */
  private void become(int next) {
    state = next;
    stateChanged();
  }

  /** Event loop: tells a recording, once, how the peer went. */
  private void reportDisconnect(String how) {
    if (!disconnectReported) {
      disconnectReported = true;
      StreamEvents.remoteDisconnected(this, how);
    }
  }

  /** Event loop: the connect attempt failed. */
  final void connectFailed(Throwable cause) {
    if ((state & Events.DETERMINED) == 0) {
      StreamEvents.connected(this, cause);
    }
    failure = cause;
    become(Events.DETERMINED | Events.CONNECTION_FAILED);
  }

  /** Called on the event loop when the stream becomes connected, before any byte is read. */
  void connected() {}

  /** Event loop: the channel is connected; the stream's outcome, decided once. */
  private void succeeded() {
    connected();
    if (acceptedBy == null) {
      StreamEvents.connected(this, null);
    }
    state = Events.DETERMINED | Events.CONNECTION_SUCCEEDED;
    if (outputShut) {
      output.endOutput();
    }
  }

  /** Event loop: a connect that passed {@link StreamTail} ended; the first outcome counts. */
  final void connectEnded(io.netty.util.concurrent.Future<?> outcome) {
    if ((state & Events.DETERMINED) != 0) {
      return;
    }
    if (outcome.isSuccess() && channel.isActive()) {
      succeeded();
      stateChanged();
    } else {
      connectFailed(outcome.cause());
    }
  }

  /** Event loop: the channel became active; an accepted stream joins its server's queue. */
  final void activated() {
    if ((state & Events.DETERMINED) != 0) {
      return;
    }
    succeeded();
    if (acceptedBy != null) {
      acceptedBy.offer(this);
    }
    stateChanged();
  }

  /** Event loop: the channel reported a failure (an I/O error, a failed write, a fault). */
  final void failedWith(Throwable cause) {
    failure = cause;
  }

  /** Event loop: the channel closed. */
  final void inactive() {
    int s = state;
    if ((s & Events.CONNECTION_SUCCEEDED) != 0 && !isClosed()) {
      Throwable f = failure;
      reportDisconnect(f == null ? "closed" : "closed after " + f);
    }
    if ((s & Events.CONNECTION_SUCCEEDED) != 0) {
      state = Events.DETERMINED | Events.CONNECTION_FAILED | Events.REMOTE_DISCONNECTED;
    } else if ((s & Events.DETERMINED) == 0) {
      state = Events.DETERMINED | Events.CONNECTION_FAILED;
    }
    stateChanged();
  }
}
