package io.bbipc.internal;

import io.bbipc.spi.TransportProvider;
import io.netty.channel.Channel;
import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Asks the kernel whether a TCP stream's connection is gone ({@link
 * TransportProvider#connectionReset}), where the transport would not say so by itself:
 *
 * <ul>
 *   <li>while reading is paused: a transport that reads only on demand hears nothing from the
 *       socket, so a peer's reset would go unseen until the reader drains the buffer; and io_uring
 *       was seen (every time, Netty 4.2.18) to stop reading for good when a reset came in while
 *       paused. A reset found resumes reading past the limit, to take what the kernel still holds
 *       (as epoll does by itself on a hang-up); if nothing arrives after that, the peer is gone;
 *   <li>after a batch of reads, on a transport that may stop reading at a reset without a word
 *       ({@link TransportProvider#mayMissReset}: io_uring): one probe a moment later;
 *   <li>once the peer's end-of-stream leaves the stream open for writing: a peer that later resets
 *       is gone altogether, yet nothing more is read that could say so.
 * </ul>
 *
 * <p>Event loop only: the stream calls every method on its channel's loop, and each probe is a task
 * scheduled there, at most one at a time. A probe that finds the peer gone tells the stream, which
 * reports it and closes the channel.
 */
final class ResetProbe {
  /** How often a paused stream asks whether its connection was reset. */
  private static final long PROBE_MILLIS = 50;

  /** How many probes a stream still makes after reading resumes with nothing arriving. */
  private static final int PROBE_AFTER_RESUME = 20;

  /** How often a stream its peer half-closed asks whether the peer has since reset it. */
  private static final long HALF_OPEN_PROBE_MILLIS = 200;

  private final RealStream stream;
  private final Channel channel;
  private final TransportProvider transport;

  /** Chunks received since the stream began. */
  private long chunksReceived;

  /** True while a probe is scheduled. */
  private boolean probing;

  /** The peer's end-of-stream has been read. */
  private boolean inputEnded;

  /** The stream's way in, whose reading a probe resumes when the connection was reset. */
  private final StreamInbound inbound;

  /** Whether the transport may stop reading, unheard, at a reset: probe after reads too. */
  private final boolean afterReads;

  ResetProbe(RealStream stream, TransportProvider transport, StreamInbound inbound) {
    this.stream = stream;
    this.channel = stream.channel;
    this.transport = transport;
    this.inbound = inbound;
    this.afterReads = transport.canTellReset(channel) && transport.mayMissReset(channel);
  }

  /**
   * Event loop: a chunk arrived; a probe that sees none since its last one knows reading stopped.
   */
  void received() {
    chunksReceived++;
  }

  /** Event loop: the peer's end-of-stream, or a failed read, ended the stream's input. */
  void inputEnded() {
    inputEnded = true;
  }

  /** Event loop: reading paused at the limit; probes every {@link #PROBE_MILLIS} ms. */
  void paused() {
    if (!probing && transport.canTellReset(channel)) {
      probing = true;
      schedule(chunksReceived, PROBE_AFTER_RESUME, PROBE_MILLIS);
    }
  }

  /**
   * Event loop, after a batch of reads: on a transport that may miss a reset, one probe a moment
   * later, which reports the peer gone if the connection is gone and nothing has arrived since.
   */
  void afterReads() {
    if (afterReads && !probing && !inputEnded) {
      probing = true;
      schedule(chunksReceived, 0, PROBE_MILLIS);
    }
  }

  /**
   * Event loop, once the peer's end-of-stream leaves the stream open for writing (NIO, which cannot
   * ask the kernel, hears of a later reset only at the next write): probes until the stream is
   * closed or its own output is shut.
   */
  void halfOpen() {
    if (!probing && transport.canTellReset(channel)) {
      probing = true;
      schedule(chunksReceived, 0, HALF_OPEN_PROBE_MILLIS);
    }
  }

  private void schedule(long chunksThen, int probesAfterResume, long millis) {
    try {
      channel
          .eventLoop()
          .schedule(() -> probe(chunksThen, probesAfterResume), millis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException loopGone) {
      probing = false;
    }
  }

  private void probe(long chunksThen, int probesAfterResume) {
    if (!channel.isActive() || stream.isClosed()) {
      probing = false;
      return;
    }
    if (inputEnded) {
      probeHalfOpen();
      return;
    }
    if (transport.connectionReset(channel)) {
      if (inbound.isPaused()) {
        inbound.resumeAfterReset();
      } else if (chunksReceived == chunksThen) {
        // the kernel holds nothing more for us, yet the transport reported nothing
        stream.failedWith(new IOException("connection reset by peer, seen by asking the kernel"));
        probing = false;
        stream.peerGone("reset, seen by asking the kernel");
        return;
      }
      schedule(chunksReceived, probesAfterResume, PROBE_MILLIS);
      return;
    }
    if (!inbound.isPaused() && (probesAfterResume <= 0 || chunksReceived != chunksThen)) {
      // reading resumed and goes on (or has gone on long enough) without a reset: done
      probing = false;
      return;
    }
    schedule(
        chunksReceived,
        inbound.isPaused() ? PROBE_AFTER_RESUME : probesAfterResume - 1,
        PROBE_MILLIS);
  }

  /**
   * The probe once the peer's end-of-stream is read: nothing is stuck then. While our own output is
   * open (the kernel's CLOSE_WAIT) only a reset (or a timeout) brings the connection to TCP_CLOSE;
   * once it is shut too, TCP_CLOSE is an orderly close both ways, and there is nothing to watch.
   */
  private void probeHalfOpen() {
    if (!stream.sendsAfterPeerEnded()) {
      probing = false;
      return;
    }
    if (transport.connectionReset(channel)) {
      probing = false;
      stream.failedWith(new IOException("connection reset by peer after its end-of-stream"));
      stream.peerGone("reset after its end of stream");
      return;
    }
    schedule(chunksReceived, 0, HALF_OPEN_PROBE_MILLIS);
  }
}
