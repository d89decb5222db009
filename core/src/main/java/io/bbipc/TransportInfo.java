package io.bbipc;

import io.bbipc.spi.TransportProvider;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A transport that bbipc found, as {@link Ipc#transports()} lists it: its name and rank, and
 * whether it can run on this machine or why not, in the manner of Netty's {@code
 * Epoll.isAvailable()} and {@code Epoll.unavailabilityCause()}.
 *
 * <p>The state is read once, when the list is made; a provider's availability does not change while
 * the process runs.
 */
public final class TransportInfo {
  private final TransportProvider provider;
  private final String name;
  private final int priority;
  private final Throwable unavailabilityCause;

  TransportInfo(TransportProvider provider) {
    this.provider = Objects.requireNonNull(provider, "provider");
    this.name = provider.name();
    this.priority = provider.priority();
    // A provider that calls itself unavailable without a reason still gets one, so that every
    // unavailable entry says why.
    this.unavailabilityCause =
        provider.isAvailable()
            ? null
            : provider.unavailabilityCause() != null
                ? provider.unavailabilityCause()
                : new IllegalStateException(
                    "transport " + name + " reports itself unavailable without saying why");
  }

  /**
   * Returns the transport's name, as given to {@link Ipc.Builder#transport(String)} and the {@code
   * bbipc.transport} system property.
   *
   * @return {@code "epoll"}, {@code "io_uring"}, {@code "kqueue"}, {@code "nio"} or a third party's
   */
  public String name() {
    return name;
  }

  /**
   * Returns the rank among transports: of those available, the highest is the one {@link
   * Ipc#create()} picks when no transport is named.
   *
   * @return the priority
   */
  public int priority() {
    return priority;
  }

  /**
   * Tells whether the transport can run on this machine.
   *
   * @return true if a runtime can be made on it
   */
  public boolean isAvailable() {
    return unavailabilityCause == null;
  }

  /**
   * Returns why the transport cannot run here: Netty's reason for a native transport (its library
   * missing, the kernel too old, another operating system), or the error that loading its classes
   * raised.
   *
   * @return the cause, or empty when the transport is available
   */
  public Optional<Throwable> unavailabilityCause() {
    return Optional.ofNullable(unavailabilityCause);
  }

  /**
   * Returns the provider itself, for an application that makes its own Netty event loop group or
   * channels on this transport (its I/O handler factory and channel types).
   *
   * @return the provider found by {@link java.util.ServiceLoader}
   */
  public TransportProvider provider() {
    return provider;
  }

  /**
   * Describes the transport in one line, as {@link Ipc#transportReport()} does.
   *
   * @return e.g. {@code "epoll priority 30 available"}
   */
  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "%-9s priority %3d  %s",
        name,
        priority,
        isAvailable() ? "available" : "unavailable: " + unavailabilityCause);
  }
}
