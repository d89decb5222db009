package io.bbipc.internal;

import io.bbipc.nio.NioTransportProvider;
import io.bbipc.spi.TransportProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** Finds the transport providers on the class path and picks one. */
public final class Transports {
  /**
   * The system property naming the transport that {@code Ipc.shared()} and {@code Ipc.create()}
   * use.
   */
  public static final String PROPERTY = "bbipc.transport";

  private Transports() {}

  /** Every provider found, best first; NIO is always among them. */
  public static List<TransportProvider> all() {
    Map<String, TransportProvider> byName = new LinkedHashMap<>();
    Iterator<TransportProvider> it =
        ServiceLoader.load(TransportProvider.class, Transports.class.getClassLoader()).iterator();
    while (true) {
      try {
        if (!it.hasNext()) {
          break;
        }
        TransportProvider p = it.next();
        byName.putIfAbsent(p.name(), p);
      } catch (ServiceConfigurationError | LinkageError broken) {
        // a provider whose classes cannot load is skipped; the others still count
      }
    }
    byName.putIfAbsent("nio", new NioTransportProvider());
    List<TransportProvider> list = new ArrayList<>(byName.values());
    list.sort(Comparator.comparingInt(TransportProvider::priority).reversed());
    return list;
  }

  /** The provider named by the system property, or else the best available one. */
  public static TransportProvider fromPropertyOrBest() {
    String name = System.getProperty(PROPERTY);
    return name == null || name.isBlank() ? best() : named(name.trim());
  }

  public static TransportProvider best() {
    for (TransportProvider p : all()) {
      if (p.isAvailable()) {
        return p;
      }
    }
    return new NioTransportProvider();
  }

  /** The named provider, or an {@link IllegalArgumentException} that says what there is. */
  public static TransportProvider named(String name) {
    List<TransportProvider> all = all();
    for (TransportProvider p : all) {
      if (p.name().equals(name)) {
        if (!p.isAvailable()) {
          throw new IllegalArgumentException(
              "transport \"" + name + "\" is not available here; " + describe(all));
        }
        return p;
      }
    }
    throw new IllegalArgumentException("unknown transport \"" + name + "\"; " + describe(all));
  }

  /** The provider whose I/O handler runs {@code group}'s event loops. */
  public static TransportProvider forGroup(EventLoopGroup group) {
    List<TransportProvider> all = all();
    if (group instanceof IoEventLoopGroup) {
      for (TransportProvider p : all) {
        if (p.isAvailable() && p.drives((IoEventLoopGroup) group)) {
          return p;
        }
      }
    }
    throw new IllegalArgumentException(
        "event loop group "
            + group
            + " runs no transport bbipc "
            + "knows: it must be an IoEventLoopGroup (e.g. MultiThreadIoEventLoopGroup) with the I/O "
            + "handler of an available transport; "
            + describe(all));
  }

  /** One line per provider: its name, priority, and whether and why it is (not) available. */
  public static String describe(List<TransportProvider> providers) {
    StringBuilder b = new StringBuilder("transports:");
    for (TransportProvider p : providers) {
      b.append(' ').append(p.name()).append(" (priority ").append(p.priority()).append(", ");
      if (p.isAvailable()) {
        b.append("available)");
      } else {
        Throwable cause = p.unavailabilityCause();
        b.append("unavailable: ")
            .append(cause == null ? "no reason given" : cause.toString())
            .append(')');
      }
      b.append(';');
    }
    b.setLength(b.length() - 1);
    return b.toString();
  }
}
