package io.bbipc;

import java.time.Duration;
import java.util.Objects;

/**
 * What one stream has moved and holds, at one moment: an immutable snapshot that {@link
 * StreamSocket#stats()} takes counter by counter while the stream goes on, so its counters may be a
 * moment apart. The read pauses' count and time are each read under the lock that starts and ends
 * pauses, so that the time never falls back; the other counters are read without a lock.
 *
 * @param bytesRead bytes the application has read ({@code readFromStream}, not peeks)
 * @param bytesReceived bytes received from the kernel, before any pipeline handler
 * @param bytesWritten bytes {@code writeToStream} has accepted
 * @param bytesSent bytes of those handed to the kernel, counted as the transport reports what each
 *     system call took, a part of a write too, so it never falls; where a pipeline handler writes
 *     other bytes in their place (TLS), a write counts once the handler has had it all sent
 * @param inboundBuffered bytes received and not yet read now
 * @param outboundBuffered bytes accepted and not yet handed to the kernel now, exactly: {@code
 *     bytesWritten - bytesSent} while the connection is open, never more than was written, and 0
 *     once the channel has closed or its output is shut down (what a close or a failed write did
 *     not send is dropped, and counts in neither figure)
 * @param readPauses how many times the stream stopped reading at its inbound limit
 * @param readPaused how long reading has been paused in all, a pause under way included; the
 *     stream's close ends a pause, and the time stops there
 * @param shortWrites how many {@code writeToStream} calls took fewer bytes than offered
 */
public record StreamStats(
    long bytesRead,
    long bytesReceived,
    long bytesWritten,
    long bytesSent,
    long inboundBuffered,
    long outboundBuffered,
    long readPauses,
    Duration readPaused,
    long shortWrites) {
  /** No bytes, no pauses. */
  public static final StreamStats ZERO = new StreamStats(0, 0, 0, 0, 0, 0, 0, Duration.ZERO, 0);

  /**
   * Makes a snapshot.
   *
   * @param bytesRead bytes the application has read
   * @param bytesReceived bytes received from the kernel
   * @param bytesWritten bytes {@code writeToStream} has accepted
   * @param bytesSent bytes of those handed to the kernel
   * @param inboundBuffered bytes received and not yet read
   * @param outboundBuffered bytes accepted and not yet handed to the kernel
   * @param readPauses how many times reading stopped at the inbound limit
   * @param readPaused how long reading has been paused in all
   * @param shortWrites how many writes took fewer bytes than offered
   * @throws NullPointerException if {@code readPaused} is null
   */
  public StreamStats {
    Objects.requireNonNull(readPaused, "readPaused");
  }

  /**
   * Adds another snapshot to this one, counter by counter.
   *
   * @param other the snapshot to add
   * @return the sums
   */
  public StreamStats plus(StreamStats other) {
    return new StreamStats(
        bytesRead + other.bytesRead,
        bytesReceived + other.bytesReceived,
        bytesWritten + other.bytesWritten,
        bytesSent + other.bytesSent,
        inboundBuffered + other.inboundBuffered,
        outboundBuffered + other.outboundBuffered,
        readPauses + other.readPauses,
        readPaused.plus(other.readPaused),
        shortWrites + other.shortWrites);
  }
}
