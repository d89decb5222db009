package io.bbipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.spi.TransportProvider;
import io.netty.channel.Channel;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link Ipc#transports()} and {@link Ipc#transportReport()}: what is found, and why it can or
 * cannot run.
 */
class TransportListTest {
  @Test
  void nioIsListedAvailableWithoutACause() {
    TransportInfo nio =
        Ipc.transports().stream()
            .filter(t -> t.name().equals("nio"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no nio in " + Ipc.transports()));
    assertTrue(nio.isAvailable());
    assertEquals(Optional.empty(), nio.unavailabilityCause());
    assertEquals(0, nio.priority());
    assertEquals("nio", nio.provider().name());
  }

  @Test
  void theListIsBestFirstOnePerNameAndEveryUnavailableOneSaysWhy() {
    List<TransportInfo> all = Ipc.transports();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < all.size(); i++) {
      TransportInfo t = all.get(i);
      assertTrue(names.add(t.name()), "listed twice: " + t.name() + " in " + all);
      if (i > 0) {
        assertTrue(all.get(i - 1).priority() >= t.priority(), "not best first: " + all);
      }
      assertEquals(t.name(), t.provider().name());
      assertEquals(t.priority(), t.provider().priority());
      assertEquals(!t.isAvailable(), t.unavailabilityCause().isPresent(), t.toString());
    }
    assertThrows(UnsupportedOperationException.class, () -> all.remove(0));
  }

  @Test
  void theReportIsTheListThenThePick() {
    List<String> expected = new ArrayList<>();
    for (TransportInfo t : Ipc.transports()) {
      expected.add(t.toString());
    }
    try (Ipc picked = Ipc.create()) {
      expected.add("Ipc.create() picks: " + picked.transportName());
    }
    assertEquals(expected, List.of(Ipc.transportReport().split("\\R")));
  }

  @Test
  void anUnavailableProviderIsListedWithItsCause() {
    IllegalStateException why = new IllegalStateException("no such kernel feature");
    TransportInfo t = new TransportInfo(new FakeProvider("fake", 7, why));
    assertFalse(t.isAvailable());
    assertSame(why, t.unavailabilityCause().orElseThrow());
    assertEquals("fake      priority   7  unavailable: " + why, t.toString());
  }

  @Test
  void anUnavailableProviderThatGivesNoReasonStillGetsOne() {
    TransportInfo t =
        new TransportInfo(
            new FakeProvider("mute", 1, null) {
              @Override
              public boolean isAvailable() {
                return false;
              }
            });
    assertFalse(t.isAvailable());
    Throwable cause = t.unavailabilityCause().orElseThrow(() -> new AssertionError("no cause"));
    assertTrue(cause.getMessage().contains("mute"), cause.getMessage());
  }

  @Test
  void anAvailableProviderHasNoCause() {
    TransportInfo t = new TransportInfo(new FakeProvider("fine", 3, null));
    assertTrue(t.isAvailable());
    assertEquals(Optional.empty(), t.unavailabilityCause());
    assertEquals("fine      priority   3  available", t.toString());
  }

  /** A provider that only describes itself; nothing here makes a runtime on it. */
  private static class FakeProvider implements TransportProvider {
    private final String name;
    private final int priority;
    private final Throwable cause;

    FakeProvider(String name, int priority, Throwable cause) {
      this.name = name;
      this.priority = priority;
      this.cause = cause;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public int priority() {
      return priority;
    }

    @Override
    public boolean isAvailable() {
      return cause == null;
    }

    @Override
    public Throwable unavailabilityCause() {
      return cause;
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Class<? extends IoHandler> ioHandlerType() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Class<? extends Channel> tcpChannelType() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Class<? extends ServerChannel> tcpServerChannelType() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Class<? extends Channel> localChannelType() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Class<? extends ServerChannel> localServerChannelType() {
      throw new UnsupportedOperationException();
    }
  }
}
