package io.bbipc.examples;

import static io.bbipc.BasicBinaryIpc.IPV4_LOOPBACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AdoptedEchoTest {
  private static final String BIG = "0123456789abcdef".repeat(300 * 1024 / 16);

  private static long utf8Length(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }

  @ParameterizedTest
  @MethodSource("io.bbipc.examples.EchoPipelineTest#transports")
  void theAdoptedStreamEchoesAndTheApplicationsHandlerSeesEveryByte(String transport)
      throws Exception {
    AdoptedEcho echo = AdoptedEcho.start(EchoPipeline.transport(transport));
    try {
      assertEquals(
          "Hello World", EchoExample.sendToServer("Hello World", IPV4_LOOPBACK, echo.port()));
      // Many reads' worth, which the plain thread must echo piece by piece.
      assertEquals(BIG, EchoExample.sendToServer(BIG, IPV4_LOOPBACK, echo.port()));
      // Every byte went through the Netty handler before bbipc's, and came back, so all are
      // counted.
      assertEquals(utf8Length("Hello World") + utf8Length(BIG), echo.bytesCounted());
    } finally {
      echo.close();
    }
    assertEquals(2, echo.connectionsServed());
  }

  @ParameterizedTest
  @MethodSource("io.bbipc.examples.EchoPipelineTest#transports")
  void bytesThatArriveBeforePlainCodeTakesTheStreamWaitInItsBuffer(String transport)
      throws Exception {
    // The plain thread serves one stream at a time, so the others' bytes wait, adopted, until it
    // comes to them; none may be lost in the meantime.
    ExecutorService clients = Executors.newFixedThreadPool(6);
    try (AdoptedEcho echo = AdoptedEcho.start(EchoPipeline.transport(transport))) {
      List<String> messages = new ArrayList<>();
      List<Future<String>> replies = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String message = "client " + i + " " + "x".repeat(1000 * i);
        messages.add(message);
        replies.add(
            clients.submit(() -> EchoExample.sendToServer(message, IPV4_LOOPBACK, echo.port())));
      }
      for (int i = 0; i < messages.size(); i++) {
        assertEquals(messages.get(i), replies.get(i).get(60, TimeUnit.SECONDS), "client " + i);
      }
    } finally {
      clients.shutdownNow();
      assertTrue(clients.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void theExamplePrintsWhatWasSentReceivedAndCounted() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      assertTrue(AdoptedEcho.run(EchoPipeline.defaultTransport(), out, "Hello World", BIG));
    }
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertTrue(
        lines
            .get(0)
            .matches("netty server listening on 127\\.0\\.0\\.1:\\d+ \\(transport \\w+\\), .*"),
        lines.get(0));
    assertEquals(List.of("sent: Hello World", "received: Hello World"), lines.subList(1, 3));
    assertEquals(lines.get(3).replace("sent: ", "received: "), lines.get(4));
    assertTrue(
        lines.get(3).startsWith("sent: " + utf8Length(BIG) + " bytes, CRC-32 "), lines.get(3));
    assertEquals(
        "the application's Netty handler counted "
            + (utf8Length("Hello World") + utf8Length(BIG))
            + " bytes on their way to the adopted streams",
        lines.get(5));
  }
}
