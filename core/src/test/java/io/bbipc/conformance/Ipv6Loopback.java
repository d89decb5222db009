package io.bbipc.conformance;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/** Whether this machine has an IPv6 loopback, found out once by binding a JDK socket on ::1. */
public final class Ipv6Loopback {
  private static final Optional<String> UNAVAILABLE = probe();

  private Ipv6Loopback() {}

  private static Optional<String> probe() {
    try (ServerSocketChannel ch = ServerSocketChannel.open()) {
      ch.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.of("no IPv6 loopback here: binding a JDK socket on [::1]:0 failed: " + e);
    }
  }

  /** Why ::1 cannot be used here, or empty if it can. */
  public static Optional<String> unavailabilityCause() {
    return UNAVAILABLE;
  }

  /** Skips the test, with the reason, where the machine has no IPv6 loopback. */
  public static void assumeAvailable() {
    Assumptions.assumeTrue(UNAVAILABLE.isEmpty(), UNAVAILABLE.orElse(""));
  }
}
