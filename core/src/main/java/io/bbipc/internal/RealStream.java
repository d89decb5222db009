package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.StreamStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stream on one Netty channel. Its {@link Tail} handler, last in the pipeline, keeps the inbound
 * bytes and turns channel events into stream state; user threads read, write and poll.
 */
abstract class RealStream extends AbstractSocket implements StreamSocket {
  /** How long a closed stream may keep trying to deliver what was written before it is dropped. */
  static final long CLOSE_LINGER_SECONDS = 30;

  /** How often a paused stream asks whether its connection was reset. */
  private static final long PROBE_MILLIS = 50;

  /** How many probes a stream still makes after reading resumes with nothing arriving. */
  private static final int PROBE_AFTER_RESUME = 20;

  /** How often a stream its peer half-closed asks whether the peer has since reset it. */
  private static final long HALF_OPEN_PROBE_MILLIS = 200;

  /** Bounds the wait for an adopted channel's event loop to take bbipc's handler. */
  private static final long ADOPT_WAIT_SECONDS = 10;

  final Channel channel;
  private final InboundBuffer inbound = new InboundBuffer();
  private final ReadyFutures readyFutures = new ReadyFutures(this);
  private final int inboundLimit;
  private final int outboundLimit;

  /** The server that accepted this stream, or null for a connecting stream. */
  private final RealServer<?> acceptedBy;

  private final boolean adopted;

  /** Whether the peer's end-of-stream leaves this stream open for writing. */
  private final boolean halfClosure;

  /** Set by shutdownOutput: nothing more may be written. */
  private volatile boolean outputShut;

  /** The peer's end-of-stream has been read; event loop only. */
  private boolean inputEnded;

  /** A mask of DETERMINED, CONNECTION_SUCCEEDED, CONNECTION_FAILED and REMOTE_DISCONNECTED. */
  private volatile int state;

  /** Pauses reading at the inbound limit, resumes once readers have drained half of it. */
  private final ReadGate readGate;

  private volatile Throwable failure;

  /** Chunks received since the stream began; event loop only, for the reset probe. */
  private long chunksReceived;

  /** True while a reset probe is scheduled; event loop only. */
  private boolean probing;

  /** Whether the transport may stop reading, unheard, at a reset: probe after reads too. */
  private final boolean probeAfterReads;

  /** Bytes received from the kernel; written on the event loop only. */
  private volatile long bytesReceived;

  /** Bytes writeToStream accepted, and the calls that took fewer than offered; any writer. */
  private final AtomicLong bytesWritten = new AtomicLong();

  private final AtomicLong shortWrites = new AtomicLong();

  /** Counts what the transport hands to the kernel; the promise of the stream's writes. */
  private final SentBytes sent;

  /** Pauses at the inbound limit, their time and JFR events; the stream's close ends one. */
  private final ReadPauses pauses = new ReadPauses();

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
    this.adopted = adopted;
    this.inboundLimit = runtime.inboundBufferLimit();
    this.outboundLimit = runtime.outboundBufferLimit();
    this.sent = new SentBytes(channel);
    this.readGate =
        new ReadGate(
            channel,
            runtime.isCallerDriven(),
            () -> inbound.readable() <= inboundLimit / 2,
            () -> resumed("drained"));
    this.halfClosure =
        adopted
            ? Boolean.TRUE.equals(channel.config().getOption(ChannelOption.ALLOW_HALF_CLOSURE))
            : acceptedBy != null ? acceptedBy.halfClosure : runtime.halfClosure();
    this.probeAfterReads =
        runtime.transport().canTellReset(channel) && runtime.transport().mayMissReset(channel);
  }

  /**
   * What each subclass's factories return: the stream with its handler last in the pipeline. Not
   * done in the constructor, because an adopted channel's handler may report the stream connected
   * at once, which needs the subclass's fields.
   */
  static <S extends RealStream> S attached(S stream) {
    ((RealStream) stream).attach();
    return stream;
  }

  private void attach() {
    if (!adopted) {
      channel.pipeline().addLast("bbipc", new Tail());
      return;
    }
    EventLoop loop = channel.eventLoop();
    if (loop.inEventLoop()) {
      attachAdopted();
      return;
    }
    // Added from another thread, the handler would skip the reads the loop handles before it
    // runs handlerAdded, and those bytes would fall off the pipeline's end: add it on the loop.
    Waiter.checkMayBlock("adopting a channel of another event loop");
    io.netty.util.concurrent.Future<?> added = loop.submit(this::attachAdopted);
    if (!added.awaitUninterruptibly(ADOPT_WAIT_SECONDS, TimeUnit.SECONDS) || !added.isSuccess()) {
      throw new IllegalStateException("could not add bbipc's handler to " + channel, added.cause());
    }
  }

  private void attachAdopted() {
    if (channel.isActive()) {
      connected();
      state = Events.DETERMINED | Events.CONNECTION_SUCCEEDED;
    } else if (!channel.isOpen()) {
      state = Events.DETERMINED | Events.CONNECTION_FAILED;
    }
    // open but not active: a connect is under way, and Tail's channelActive determines the
    // stream when it succeeds; a failed connect closes the channel without channelInactive
    channel.pipeline().addLast("bbipc", new Tail());
    channel
        .closeFuture()
        .addListener(
            f -> {
              if ((state & Events.DETERMINED) == 0) {
                state = Events.DETERMINED | Events.CONNECTION_FAILED;
                stateChanged();
              }
            });
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

  /** Whether an event holds; a caller-driven owner first takes in what the kernel has if not. */
  private boolean holds(int event) {
    runtime.enter(this);
    if ((currentEvents() & event) != 0) {
      return true;
    }
    return runtime.runNow() > 0 && (currentEvents() & event) != 0;
  }

  // ---------------------------------------------------------------- reading

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
    int n = inbound.read(buffer, start, end - start, peek);
    if (n > 0 && !peek) {
      readGate.consumed();
    }
    return n;
  }

  @Override
  public final int readFromStream(ByteBuffer destination) throws IpcException {
    Objects.requireNonNull(destination, "destination");
    if (destination.isReadOnly()) {
      throw new java.nio.ReadOnlyBufferException();
    }
    enterToRead(destination.remaining());
    int n = inbound.read(destination);
    if (n > 0) {
      readGate.consumed();
    }
    return n;
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

  /** Event loop: reading started again; the pause's time is counted and its event committed. */
  private void resumed(String why) {
    pauses.resumed(why, inbound.readable());
  }

  /** Event loop: keeps a chunk and pauses reading while the buffer is over its limit. */
  private void received(ByteBuf chunk) {
    chunksReceived++;
    bytesReceived += chunk.readableBytes();
    int buffered = inbound.add(chunk, channel.alloc());
    if (buffered >= inboundLimit && readGate.pause()) {
      pauses.paused(this, buffered);
      readGate.resumeIfRoom();
      if (readGate.isPaused()) {
        startResetProbe();
      }
    }
  }

  // ---------------------------------------------------------------- the reset probe

  /**
   * While reading is paused, a transport that reads only on demand hears nothing from the socket,
   * so a peer's reset would go unseen until the reader drains the buffer; and io_uring was seen
   * (every time, Netty 4.2.18) to stop reading for good when a reset came in while paused. So a
   * paused stream asks the kernel every {@link #PROBE_MILLIS} ms whether the connection was reset;
   * if so it reads what the kernel still holds past the limit (as epoll does by itself on a
   * hang-up), and if nothing arrives after that it closes the channel.
   */
  private void startResetProbe() {
    if (!probing && runtime.transport().canTellReset(channel)) {
      probing = true;
      scheduleProbe(chunksReceived, PROBE_AFTER_RESUME, PROBE_MILLIS);
    }
  }

  /**
   * Event loop, after a batch of reads on a transport that may stop reading at a reset without a
   * word ({@code TransportProvider.mayMissReset}: io_uring): one probe a moment later, which closes
   * the channel if the connection is gone and nothing has arrived since.
   */
  private void probeAfterRead() {
    if (probeAfterReads && !probing && !inputEnded) {
      probing = true;
      scheduleProbe(chunksReceived, 0, PROBE_MILLIS);
    }
  }

  /**
   * Event loop, once the peer's end-of-stream leaves the stream open for writing: a peer that later
   * resets is gone altogether, yet nothing more is read that could say so (and NIO, which cannot
   * ask the kernel, hears of it only at the next write), so probe until the stream is closed or our
   * own output is shut.
   */
  private void startHalfOpenProbe() {
    if (!probing && runtime.transport().canTellReset(channel)) {
      probing = true;
      scheduleProbe(chunksReceived, 0, HALF_OPEN_PROBE_MILLIS);
    }
  }

  private void scheduleProbe(long chunksThen, int probesAfterResume, long millis) {
    try {
      channel
          .eventLoop()
          .schedule(() -> probe(chunksThen, probesAfterResume), millis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException loopGone) {
      probing = false;
    }
  }

  private void probe(long chunksThen, int probesAfterResume) {
    if (!channel.isActive() || isClosed()) {
      probing = false;
      return;
    }
    if (inputEnded) {
      probeHalfOpen();
      return;
    }
    if (runtime.transport().connectionReset(channel)) {
      if (readGate.isPaused()) {
        readGate.resume();
        resumed("connection reset");
      } else if (chunksReceived == chunksThen) {
        // the kernel holds nothing more for us, yet the transport reported nothing
        failure = new java.io.IOException("connection reset by peer, seen by asking the kernel");
        probing = false;
        peerGone("reset, seen by asking the kernel");
        return;
      }
      scheduleProbe(chunksReceived, probesAfterResume, PROBE_MILLIS);
      return;
    }
    if (!readGate.isPaused() && (probesAfterResume <= 0 || chunksReceived != chunksThen)) {
      // reading resumed and goes on (or has gone on long enough) without a reset: done
      probing = false;
      return;
    }
    scheduleProbe(
        chunksReceived,
        readGate.isPaused() ? PROBE_AFTER_RESUME : probesAfterResume - 1,
        PROBE_MILLIS);
  }

  /**
   * The probe once the peer's end-of-stream is read: nothing is stuck then. While our own output is
   * open (the kernel's CLOSE_WAIT) only a reset (or a timeout) brings the connection to TCP_CLOSE;
   * once it is shut too, TCP_CLOSE is an orderly close both ways, and there is nothing to watch.
   */
  private void probeHalfOpen() {
    boolean outputOpen =
        !outputShut
            && !(channel instanceof DuplexChannel && ((DuplexChannel) channel).isOutputShutdown());
    if (!halfClosure || (state & Events.CONNECTION_SUCCEEDED) == 0 || !outputOpen) {
      probing = false;
      return;
    }
    if (runtime.transport().connectionReset(channel)) {
      probing = false;
      failure = new java.io.IOException("connection reset by peer after its end-of-stream");
      peerGone("reset after its end of stream");
      return;
    }
    scheduleProbe(chunksReceived, 0, HALF_OPEN_PROBE_MILLIS);
  }

  // ---------------------------------------------------------------- writing

  @Override
  public final int writeToStream(byte[] buffer) throws IpcException {
    return writeToStream(buffer, 0, Objects.requireNonNull(buffer, "buffer").length);
  }

  @Override
  public final int writeToStream(byte[] buffer, int start, int end) throws IpcException {
    checkRange(buffer, start, end);
    int n = counted(writable(end - start), end - start);
    if (n > 0) {
      ByteBuf chunk = channel.alloc().ioBuffer(n);
      chunk.writeBytes(buffer, start, n);
      send(chunk);
      runtime.submitWrites();
    }
    return n;
  }

  @Override
  public final int writeToStream(ByteBuffer source) throws IpcException {
    Objects.requireNonNull(source, "source");
    int n = counted(writable(source.remaining()), source.remaining());
    if (n > 0) {
      ByteBuf chunk = channel.alloc().ioBuffer(n);
      int limit = source.limit();
      source.limit(source.position() + n);
      chunk.writeBytes(source);
      source.limit(limit);
      send(chunk);
      runtime.submitWrites();
    }
    return n;
  }

  private int counted(int taken, int offered) {
    if (taken > 0) {
      bytesWritten.addAndGet(taken);
    }
    if (taken < offered) {
      shortWrites.incrementAndGet();
    }
    return taken;
  }

  @Override
  public final StreamStats stats() {
    // sent and dropped before written: a write is counted as written before it is sent, so the
    // bytes still held never come out negative
    long sentNow = sent.sent();
    long dropped = sent.dropped();
    long written = bytesWritten.get();
    // once Netty has let go of its buffer (a close, or the output shut down after a flush) the
    // stream holds nothing: what a close did not send is dropped
    long held =
        channel.unsafe().outboundBuffer() == null ? 0 : Math.max(0, written - sentNow - dropped);
    return new StreamStats(
        inbound.consumed(),
        bytesReceived,
        written,
        sentNow,
        inbound.readable(),
        held,
        pauses.count(),
        pauses.total(),
        shortWrites.get());
  }

  private void send(ByteBuf chunk) throws IpcException {
    // Straight from bbipc's handler to the transport, the stream's one counting promise hears the
    // progress of the write and costs nothing; a write that passes the application's handlers
    // gets a promise of its own, which a handler may keep or complete in its own time.
    ChannelPromise promise =
        !adopted && channel.pipeline().first() instanceof Tail
            ? sent
            : sent.forWrite(chunk.readableBytes());
    try {
      channel.writeAndFlush(chunk, promise);
    } catch (RejectedExecutionException loopGone) {
      // Netty has released the chunk where it could; make sure it is not left behind
      if (chunk.refCnt() > 0) {
        chunk.release();
      }
      throw eventLoopGone(loopGone);
    }
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
    if ((s & Events.CONNECTION_SUCCEEDED) == 0 || wanted == 0 || !channel.isWritable()) {
      return 0;
    }
    // the high water mark is at least 1 (see IpcRuntime.configureStream), so cap at the limit
    long room = Math.min(channel.bytesBeforeUnwritable(), outboundLimit);
    return (int) Math.max(0, Math.min(wanted, room));
  }

  /** Why {@code doing} this stream, in state {@code s} (failed), cannot be done. */
  private IpcException failed(String doing, int s) {
    return new IpcException(
        doing
            + this
            + ": "
            + ((s & Events.REMOTE_DISCONNECTED) != 0
                ? "the peer has disconnected"
                : "the connection failed"),
        this,
        failure);
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
    if (runtime.isCallerDriven()) {
      // the owner's writes are already on the channel, in order
      shutdownOutputNow();
      runtime.submitWrites();
      stateChanged();
      return;
    }
    try {
      // queued behind every write this thread made, so end-of-stream follows them
      channel.eventLoop().execute(this::shutdownOutputNow);
    } catch (RejectedExecutionException loopGone) {
      throw eventLoopGone(loopGone);
    }
    stateChanged();
  }

  /**
   * Event loop: sends end-of-stream once what was written is flushed; a connecting stream waits.
   */
  private void shutdownOutputNow() {
    if (!channel.isActive()) {
      return;
    }
    channel
        .writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener(
            flushed -> {
              if (!channel.isActive()) {
                return;
              }
              if (!(channel instanceof DuplexChannel)) {
                channel.close();
                return;
              }
              // once both directions are finished the channel stays open until the user closes the
              // stream: closing it here could race the peer's last bytes into a reset
              ((DuplexChannel) channel).shutdownOutput();
            });
  }

  /**
   * Event loop: the peer has finished sending, or, when {@code readError} is not null, the input
   * ended because a read failed.
   */
  private void peerEnded(Throwable readError) {
    inputEnded = true;
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
      state = Events.DETERMINED | Events.CONNECTION_SUCCEEDED | Events.REMOTE_DISCONNECTED;
      stateChanged();
      if (!outputShut) {
        startHalfOpenProbe();
      }
    } else {
      state = Events.DETERMINED | Events.CONNECTION_FAILED | Events.REMOTE_DISCONNECTED;
      stateChanged();
      // What was accepted before is still delivered while the peer reads, then the channel
      // closes. Queued, not run here: the loop reads before it runs its tasks, so writes the
      // user made before this end-of-stream may still be waiting in the task queue.
      try {
        channel.eventLoop().execute(this::flushAndClose);
      } catch (RejectedExecutionException loopGone) {
        channel.close();
      }
    }
  }

  /**
   * Event loop: the peer has gone altogether (reset, or timed out); what it sent before stays
   * buffered for the reader, and the channel closes, as Netty closes it after a failed read without
   * half-closure.
   */
  private void peerGone(String how) {
    reportDisconnect(how);
    state = Events.DETERMINED | Events.CONNECTION_FAILED | Events.REMOTE_DISCONNECTED;
    stateChanged();
    channel.close();
  }

  static void checkRange(byte[] buffer, int start, int end) {
    Objects.requireNonNull(buffer, "buffer");
    if (start < 0 || end < 0 || start > end || end > buffer.length) {
      throw new IndexOutOfBoundsException(
          "start "
              + start
              + " and end "
              + end
              + " must satisfy 0 <= start <= end <= buffer length "
              + buffer.length);
    }
  }

  // ---------------------------------------------------------------- asynchronous use

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

  // ---------------------------------------------------------------- closing

  @Override
  final void closeOnce() {
    // a pause under way ends with the close: its time stops, and its event is committed with what
    // the close drops
    pauses.closed(inbound.readable());
    StreamEvents.closed(this, channel, "stream", inbound.consumed(), bytesWritten.get());
    inbound.release();
    try {
      // Queued behind every write this thread made, so accepted bytes are flushed before the close.
      channel.eventLoop().execute(this::flushAndClose);
    } catch (RejectedExecutionException shutDown) {
      channel.close();
    }
  }

  private void flushAndClose() {
    if (!channel.isOpen()) {
      return;
    }
    ChannelFuture flushed = channel.writeAndFlush(Unpooled.EMPTY_BUFFER);
    if (flushed.isDone()) {
      shutdownAndClose();
    } else {
      flushed.addListener(f -> shutdownAndClose());
      channel
          .eventLoop()
          .schedule(
              () -> {
                channel.close();
              },
              CLOSE_LINGER_SECONDS,
              TimeUnit.SECONDS);
    }
  }

  /**
   * Sends the end of stream before closing: io_uring's local channels were seen (a few in a
   * hundred) to close while a receive was in flight without the peer ever seeing EOF.
   */
  private void shutdownAndClose() {
    if (channel instanceof DuplexChannel && channel.isActive()) {
      ((DuplexChannel) channel).shutdownOutput().addListener(f -> channel.close());
    } else {
      channel.close();
    }
  }

  @Override
  final ChannelFuture channelCloseFuture() {
    return channel.closeFuture();
  }

  // ---------------------------------------------------------------- event loop side

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
    state = Events.DETERMINED | Events.CONNECTION_FAILED;
    stateChanged();
  }

  /** Called on the event loop when the stream becomes connected, before any byte is read. */
  void connected() {}

  /** The handler at the tail of the pipeline: the one place channel events become stream state. */
  private final class Tail extends ChannelDuplexHandler {
    private boolean readSinceComplete;

    /**
     * The I/O error the channel reported since its last read event: a read loop that fails fires it
     * after that read's channelReadComplete, then shuts the input down.
     */
    private Throwable ioErrorSinceRead;

    /**
     * A connect the application starts on an adopted channel passes here first: its outcome
     * determines the stream even where a transport fires no event for it (io_uring, Netty 4.2.18,
     * leaves a refused channel open and inactive, and was seen not to fire channelActive on an
     * adopted channel that connected).
     */
    @Override
    public void connect(
        ChannelHandlerContext ctx,
        java.net.SocketAddress remote,
        java.net.SocketAddress local,
        ChannelPromise promise) {
      ChannelPromise outcome = promise.unvoid();
      outcome.addListener(
          f -> {
            if ((state & Events.DETERMINED) != 0) {
              return;
            }
            if (f.isSuccess() && channel.isActive()) {
              connected();
              StreamEvents.connected(RealStream.this, null);
              state = Events.DETERMINED | Events.CONNECTION_SUCCEEDED;
              if (outputShut) {
                shutdownOutputNow();
              }
            } else {
              failure = f.cause();
              StreamEvents.connected(RealStream.this, f.cause());
              state = Events.DETERMINED | Events.CONNECTION_FAILED;
            }
            stateChanged();
          });
      ctx.connect(remote, local, outcome);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      if ((state & Events.DETERMINED) != 0) {
        return;
      }
      connected();
      if (acceptedBy == null) {
        StreamEvents.connected(RealStream.this, null);
      }
      state = Events.DETERMINED | Events.CONNECTION_SUCCEEDED;
      if (outputShut) {
        shutdownOutputNow();
      }
      if (acceptedBy != null) {
        acceptedBy.offer(RealStream.this);
      }
      stateChanged();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ioErrorSinceRead = null;
      if (msg instanceof ByteBuf) {
        received((ByteBuf) msg);
        readSinceComplete = true;
      } else {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ioErrorSinceRead = null;
      // One wake-up per batch of reads, not one per chunk.
      if (readSinceComplete) {
        readSinceComplete = false;
        stateChanged();
        probeAfterRead();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      stateChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      readSinceComplete = false;
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

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        Throwable readError = ioErrorSinceRead;
        ioErrorSinceRead = null;
        peerEnded(readError);
      }
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // Resets and failed writes end here. Netty closes the channel itself after a failed
      // write, which channelInactive turns into REMOTE_DISCONNECTED; after a failed read it
      // shuts only the input down (ALLOW_HALF_CLOSURE), and the ChannelInputShutdownEvent that
      // follows must not pass for an end-of-stream. Anything else is a fault we cannot recover
      // from, so the connection goes rather than hangs.
      failure = cause;
      if (cause instanceof java.io.IOException) {
        ioErrorSinceRead = cause;
      } else {
        ctx.close();
      }
    }
  }
}
