package io.bbipc.internal;

import io.bbipc.SocketEvent;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Event sets as bit masks, so the event loop and pollers compare them without allocating. */
final class Events {
  private static final SocketEvent[] ALL = SocketEvent.values();

  /** Immutable sets for every mask, so returning a result never allocates. */
  private static final List<Set<SocketEvent>> SETS;

  static {
    List<Set<SocketEvent>> sets = new java.util.ArrayList<>(1 << ALL.length);
    for (int mask = 0; mask < 1 << ALL.length; mask++) {
      EnumSet<SocketEvent> set = EnumSet.noneOf(SocketEvent.class);
      for (SocketEvent e : ALL) {
        if ((mask & bit(e)) != 0) {
          set.add(e);
        }
      }
      sets.add(Collections.unmodifiableSet(set));
    }
    SETS = List.copyOf(sets);
  }

  static final int CONNECTION_AVAILABLE = bit(SocketEvent.CONNECTION_AVAILABLE);
  static final int DETERMINED = bit(SocketEvent.DETERMINED);
  static final int CONNECTION_SUCCEEDED = bit(SocketEvent.CONNECTION_SUCCEEDED);
  static final int CONNECTION_FAILED = bit(SocketEvent.CONNECTION_FAILED);
  static final int DATA_AVAILABLE = bit(SocketEvent.DATA_AVAILABLE);
  static final int READY_TO_WRITE = bit(SocketEvent.READY_TO_WRITE);
  static final int REMOTE_DISCONNECTED = bit(SocketEvent.REMOTE_DISCONNECTED);

  static final int SERVER_EVENTS = CONNECTION_AVAILABLE;
  static final int STREAM_EVENTS =
      DETERMINED
          | CONNECTION_SUCCEEDED
          | CONNECTION_FAILED
          | DATA_AVAILABLE
          | READY_TO_WRITE
          | REMOTE_DISCONNECTED;

  private Events() {}

  static int bit(SocketEvent event) {
    return 1 << event.ordinal();
  }

  static Set<SocketEvent> toSet(int mask) {
    return SETS.get(mask);
  }

  /** Converts a user's event set, rejecting null, empty and unsupported sets before any I/O. */
  static int toMask(Set<SocketEvent> events, int supported, Object socket) {
    if (events == null) {
      throw new NullPointerException("events");
    }
    if (events.isEmpty()) {
      throw new IllegalArgumentException(
          "the event set is empty; name at least one of " + toSet(supported));
    }
    int mask = 0;
    for (SocketEvent e : events) {
      if (e == null) {
        throw new NullPointerException("events contains null: " + events);
      }
      int b = bit(e);
      if ((supported & b) == 0) {
        throw new IllegalArgumentException(
            "event " + e + " is not supported by " + socket + "; it supports " + toSet(supported));
      }
      mask |= b;
    }
    return mask;
  }

  /** The single-event form of {@link #toMask}. */
  static int toMask(SocketEvent event, int supported, Object socket) {
    if (event == null) {
      throw new NullPointerException("event");
    }
    int b = bit(event);
    if ((supported & b) == 0) {
      throw new IllegalArgumentException(
          "event "
              + event
              + " is not supported by "
              + socket
              + "; it supports "
              + toSet(supported));
    }
    return b;
  }
}
