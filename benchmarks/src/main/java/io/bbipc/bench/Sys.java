package io.bbipc.bench;

import java.util.Locale;

/**
 * The systems compared. The JDK has no Netty transport, so its rows carry {@link #NO_TRANSPORT}.
 */
enum Sys {
  JDK("JDK blocking"),
  BBIPC_SYNC("bbipc sync"),
  /**
   * The synchronous facade with {@code Ipc.Builder.spinBeforePark(50 µs)}: on this VM an idle vCPU
   * halts and waking it costs tens of µs, which a short spin avoids at a CPU price. Measured
   * unpinned only: spinning on the one CPU the peer needs would only delay it.
   */
  BBIPC_SYNC_SPIN("bbipc sync + 50 µs spin"),
  /**
   * The synchronous facade with each end on its own caller-driven runtime ({@code
   * Ipc.Builder.callerDriven(true)}), built on the thread that uses it: no event loop thread, the
   * owner writes straight to the kernel and waits in the transport's own wait.
   */
  BBIPC_SYNC_CALLER("bbipc sync, caller-driven"),
  /**
   * As {@link #BBIPC_SYNC_CALLER}, both runtimes with {@code Ipc.Builder.busyPoll(50 µs)}: a
   * waiting owner asks the kernel without blocking for up to 50 µs first. Unpinned only, as the
   * spin above.
   */
  BBIPC_SYNC_CALLER_BUSY("bbipc sync, caller-driven + busy poll"),
  BBIPC_ASYNC("bbipc async"),
  NETTY("raw Netty");

  static final String NO_TRANSPORT = "jdk";

  final String label;

  Sys(String label) {
    this.label = label;
  }

  boolean usesTransport() {
    return this != JDK;
  }

  String key() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static Sys parse(String key) {
    return valueOf(key.toUpperCase(Locale.ROOT).replace('-', '_'));
  }

  /** "bbipc sync · epoll", or "JDK blocking" for the JDK. */
  String label(String transport) {
    return usesTransport() ? label + " · " + transport : label;
  }
}
