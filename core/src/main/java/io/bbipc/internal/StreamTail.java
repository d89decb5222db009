package io.bbipc.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.SocketAddress;

/**
 * The last handler of a stream's pipeline: the one place channel events reach the stream. It keeps
 * only what it needs to tell the events apart (a batch of reads, an I/O error before an input
 * shutdown), and hands each to its {@link RealStream}, which owns the stream's state. Every method
 * runs on the channel's event loop.
 */
final class StreamTail extends ChannelDuplexHandler {
  /** The handler's name in the pipeline; a channel that has one is a bbipc stream already. */
  static final String NAME = "bbipc";

  private final RealStream stream;

  private boolean readSinceComplete;

  /**
   * The I/O error the channel reported since its last read event: a read loop that fails fires it
   * after that read's channelReadComplete, then shuts the input down.
   */
  private Throwable ioErrorSinceRead;

  StreamTail(RealStream stream) {
    this.stream = stream;
  }

  /**
   * What the factories of streams on channels bbipc made return: the stream, with its handler last
   * in the pipeline (an adopted channel's stream goes through {@link ChannelAdoption#attached}).
   * Not done in the stream's constructor, so that what the handler calls finds the subclass's
   * fields set.
   */
  static <S extends RealStream> S attached(S stream) {
    stream.channel.pipeline().addLast(NAME, new StreamTail(stream));
    return stream;
  }

  /**
   * A connect the application starts on an adopted channel passes here first: its outcome
   * determines the stream even where a transport fires no event for it (io_uring, Netty 4.2.18,
   * leaves a refused channel open and inactive, and was seen not to fire channelActive on an
   * adopted channel that connected).
   */
  @Override
  public void connect(
      ChannelHandlerContext ctx,
      SocketAddress remote,
      SocketAddress local,
      ChannelPromise promise) {
    ChannelPromise outcome = promise.unvoid();
    outcome.addListener(stream::connectEnded);
    ctx.connect(remote, local, outcome);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    stream.activated();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ioErrorSinceRead = null;
    if (msg instanceof ByteBuf) {
      stream.received((ByteBuf) msg);
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
      stream.readBatchEnded();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    stream.stateChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    readSinceComplete = false;
    stream.inactive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      Throwable readError = ioErrorSinceRead;
      ioErrorSinceRead = null;
      stream.peerEnded(readError);
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
    stream.failedWith(cause);
    if (cause instanceof IOException) {
      ioErrorSinceRead = cause;
    } else {
      ctx.close();
    }
  }
}
