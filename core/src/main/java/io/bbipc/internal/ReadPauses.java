package io.bbipc.internal;

import java.time.Duration;

/**
 * A stream's pauses at its inbound limit: how many, for how long in all, and the JFR event of the
 * one under way. The event loop starts and ends pauses; the stream's close, on whatever thread,
 * ends the one under way, and no pause starts after it.
 *
 * <p>Under this object's monitor, so that a snapshot never sees a pause that has ended but whose
 * time is not added yet (readPaused would fall back for a moment), and a close freezes the time at
 * a moment no earlier snapshot has passed.
 */
final class ReadPauses {
  private long count;
  private long nanos;
  private long startedAt;
  private boolean underWay;
  private boolean closed;

  /** The JFR event of the pause under way, if a recording wants it. */
  private StreamEvents.ReadPaused event;

  /**
   * Event loop: reading stopped with {@code buffered} bytes waiting, unless the stream is closed.
   */
  synchronized void paused(RealStream stream, long buffered) {
    if (closed || underWay) {
      return;
    }
    count++;
    underWay = true;
    startedAt = System.nanoTime();
    event = StreamEvents.paused(stream, buffered);
  }

  /** Event loop: reading started again; the pause's time is counted and its event committed. */
  synchronized void resumed(String why, long buffered) {
    end(why, buffered);
  }

  /**
   * The stream is closed: a pause under way ends now, as the close ended it, and none starts again.
   */
  synchronized void closed(long buffered) {
    if (!closed) {
      closed = true;
      end("closed", buffered);
    }
  }

  private void end(String why, long buffered) {
    if (underWay) {
      underWay = false;
      nanos += Math.max(0, System.nanoTime() - startedAt);
      event = StreamEvents.resumed(event, why, buffered);
    }
  }

  synchronized long count() {
    return count;
  }

  /** How long reading has been paused in all, a pause under way included. */
  synchronized Duration total() {
    return Duration.ofNanos(underWay ? nanos + Math.max(0, System.nanoTime() - startedAt) : nanos);
  }
}
