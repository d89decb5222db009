package io.bbipc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallerDrivenEchoTest {
  @Test
  void twoOwnersEchoWithoutAnIoThread() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    double mean;
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      mean = CallerDrivenEcho.run(500, out);
    }
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(2, lines.size(), lines.toString());
    String transport;
    try (Ipc probe = Ipc.builder().callerDriven(true).build()) {
      transport = probe.transportName();
    }
    assertEquals(
        "client and server are caller-driven on "
            + transport
            + ", owned by \""
            + Thread.currentThread().getName()
            + "\" and \"echo-owner\"",
        lines.get(0));
    // every byte of every round trip came back: 500 x 64
    assertTrue(
        lines.get(1).startsWith("500 round trips of 64 bytes, 32000 bytes echoed, mean "),
        lines.get(1));
    assertTrue(mean > 0, "mean " + mean);
  }

  @Test
  void refusesZeroRoundTripsBeforeAnyIo() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CallerDrivenEcho.run(0, System.out));
    assertEquals("roundTrips must be at least 1, was 0", e.getMessage());
  }
}
