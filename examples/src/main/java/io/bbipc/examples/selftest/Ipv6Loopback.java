package io.bbipc.examples.selftest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Optional;

/** Finds out, once, whether a JDK socket can bind ::1 on this machine. */
final class Ipv6Loopback {
  /** Probed when the class is first used, so only by a run that asks. */
  private static final Optional<String> UNAVAILABLE = probe();

  /** Makes nothing: the class only holds what the probe found. */
  private Ipv6Loopback() {}

  /** Returns why this machine has no IPv6 loopback, or empty where it has one. */
  static Optional<String> unavailable() {
    return UNAVAILABLE;
  }

  /** Binds a channel to ::1 and returns why that failed, or empty if it worked. */
  private static Optional<String> probe() {
    try (ServerSocketChannel ch = ServerSocketChannel.open()) {
      ch.bind(new InetSocketAddress("::1", 0));
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.of("no IPv6 loopback here: " + Texts.describe(e));
    }
  }
}
