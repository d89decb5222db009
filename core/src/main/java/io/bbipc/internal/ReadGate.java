package io.bbipc.internal;

import io.netty.channel.Channel;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Stops a channel reading while what it read waits for a consumer (a stream's inbound bytes, a
 * server's accepted connections), and starts it again once the consumer has made room, so that the
 * kernel, not bbipc, holds the excess.
 *
 * <p>Only the event loop turns {@code autoRead} off or on; consumers, on any thread, queue the
 * resume. The loop checks for room again right after it pauses: a consumer may have made room
 * between the loop's last look and the pause, seen no pause to undo, and would then never ask.
 */
final class ReadGate {
  private final Channel channel;
  private final boolean callerDriven;
  private final BooleanSupplier hasRoom;
  private final Runnable resumedForRoom;

  /** Written on the event loop only; volatile so consumers know to ask for a resume. */
  private volatile boolean paused;

  private final AtomicBoolean resumeQueued = new AtomicBoolean();

  /**
   * @param callerDriven whether the channel's runtime is caller-driven: its owner, being the loop's
   *     thread, then resumes at once rather than through a task that runs only at its next call
   * @param hasRoom whether the consumer has made enough room for reading to go on
   * @param resumedForRoom event loop: runs after reading resumed because there was room
   */
  ReadGate(
      Channel channel, boolean callerDriven, BooleanSupplier hasRoom, Runnable resumedForRoom) {
    this.channel = channel;
    this.callerDriven = callerDriven;
    this.hasRoom = hasRoom;
    this.resumedForRoom = resumedForRoom;
  }

  boolean isPaused() {
    return paused;
  }

  /**
   * Event loop: stops reading. The caller then calls {@link #resumeIfRoom()}, after whatever it
   * records about the pause.
   *
   * @return false if reading was paused already
   */
  boolean pause() {
    if (paused) {
      return false;
    }
    paused = true;
    channel.config().setAutoRead(false);
    return true;
  }

  /** Event loop: reading goes on whether or not there is room (a reset: the rest must be read). */
  void resume() {
    paused = false;
    channel.config().setAutoRead(true);
  }

  /** Event loop: resumes reading if it is paused and the consumer has made room. */
  void resumeIfRoom() {
    resumeQueued.set(false);
    if (paused && hasRoom.getAsBoolean()) {
      resume();
      resumedForRoom.run();
    }
  }

  /**
   * Any thread, after the consumer took something: asks the loop to resume if there is room now.
   */
  void consumed() {
    if (paused && hasRoom.getAsBoolean() && resumeQueued.compareAndSet(false, true)) {
      if (callerDriven && channel.eventLoop().inEventLoop()) {
        resumeIfRoom();
        return;
      }
      try {
        channel.eventLoop().execute(this::resumeIfRoom);
      } catch (RejectedExecutionException shutDown) {
        resumeQueued.set(false);
      }
    }
  }
}
