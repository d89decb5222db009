package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.IpcSocket;
import io.bbipc.SocketEvent;
import io.bbipc.Timeout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** {@code pollSockets}: one waiting thread, listening on every socket in the list. */
public final class Polling {
  private Polling() {}

  static AbstractSocket own(IpcSocket socket) {
    Objects.requireNonNull(socket, "socket");
    if (!(socket instanceof AbstractSocket)) {
      throw new IllegalArgumentException(socket + " is not a bbipc socket");
    }
    return (AbstractSocket) socket;
  }

  public static List<Set<SocketEvent>> pollSockets(
      List<? extends IpcSocket> sockets, List<Set<SocketEvent>> events, Timeout timeout)
      throws IpcException {
    checkLists(sockets, events, timeout);
    int n = sockets.size();
    AbstractSocket[] own = new AbstractSocket[n];
    int[] masks = new int[n];
    for (int i = 0; i < n; i++) {
      IpcSocket socket = sockets.get(i);
      if (socket == null) {
        throw new NullPointerException("sockets[" + i + "] is null");
      }
      own[i] = own(socket);
      masks[i] = Events.toMask(checkEvents(events.get(i), i), own[i].supportedMask(), own[i]);
    }
    CallerDrivenLoop[] loops = Waiter.loopsOf(runtimes(own), "a socket given to pollSockets");
    checkOpen(own);
    int[] found = new int[n];
    // one socket always ready must not hide what the kernel holds for the others
    Waiter.runNow(loops);
    if (scan(own, masks, found)
        || timeout.toNanos() == 0
        || Thread.currentThread().isInterrupted()) {
      return toList(found);
    }
    Waiter.checkMayBlock("pollSockets");
    return await(own, masks, found, loops, Waiter.deadline(timeout.toNanos()));
  }

  private static void checkLists(
      List<? extends IpcSocket> sockets, List<Set<SocketEvent>> events, Timeout timeout) {
    Objects.requireNonNull(sockets, "sockets");
    Objects.requireNonNull(events, "events");
    Objects.requireNonNull(timeout, "timeout");
    if (sockets.size() != events.size()) {
      throw new IllegalArgumentException(
          "pollSockets needs one event set per socket: "
              + sockets.size()
              + " sockets, "
              + events.size()
              + " event sets");
    }
  }

  /** The distinct runtimes of the sockets, in their order. */
  private static List<IpcRuntime> runtimes(AbstractSocket[] own) {
    List<IpcRuntime> runtimes = new ArrayList<>(1);
    for (AbstractSocket s : own) {
      if (!runtimes.contains(s.runtime)) {
        runtimes.add(s.runtime);
      }
    }
    return runtimes;
  }

  private static void checkOpen(AbstractSocket[] own) throws IpcException {
    for (AbstractSocket s : own) {
      s.checkOpen();
    }
  }

  /**
   * Parks until an event asked for holds on any socket, the deadline passes or the thread is
   * interrupted, listening on every socket; spins first as long as the longest spin of their
   * runtimes.
   */
  private static List<Set<SocketEvent>> await(
      AbstractSocket[] own, int[] masks, int[] found, CallerDrivenLoop[] loops, long deadline)
      throws IpcException {
    long spin = 0;
    for (AbstractSocket s : own) {
      spin = Math.max(spin, s.runtime.spinNanos());
    }
    Waiter waiter = new Waiter(spin, loops);
    for (AbstractSocket s : own) {
      s.addListener(waiter);
    }
    try {
      while (true) {
        if (scan(own, masks, found)) {
          return toList(found);
        }
        checkOpen(own);
        if (Thread.currentThread().isInterrupted()) {
          return toList(found);
        }
        if (!waiter.await(deadline)) {
          checkOpen(own);
          scan(own, masks, found);
          return toList(found);
        }
      }
    } finally {
      for (AbstractSocket s : own) {
        s.removeListener(waiter);
      }
    }
  }

  /** Names the index of a null set, or of a set holding null, which the mask would not. */
  private static Set<SocketEvent> checkEvents(Set<SocketEvent> set, int i) {
    if (set == null) {
      throw new NullPointerException("events[" + i + "] is null");
    }
    for (SocketEvent e : set) {
      if (e == null) {
        throw new NullPointerException("events[" + i + "] contains null: " + set);
      }
    }
    return set;
  }

  private static boolean scan(AbstractSocket[] sockets, int[] masks, int[] found) {
    boolean any = false;
    for (int i = 0; i < sockets.length; i++) {
      found[i] = sockets[i].currentEvents() & masks[i];
      any |= found[i] != 0;
    }
    return any;
  }

  private static List<Set<SocketEvent>> toList(int[] found) {
    List<Set<SocketEvent>> list = new ArrayList<>(found.length);
    for (int mask : found) {
      list.add(Events.toSet(mask));
    }
    return Collections.unmodifiableList(list);
  }
}
