package io.bbipc.examples;

import static io.bbipc.BasicBinaryIpc.IPV4_LOOPBACK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.spi.TransportProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EchoPipelineTest {
  /**
   * Every transport that runs here, so that each test runs on each; used by AdoptedEchoTest too.
   */
  static Stream<String> transports() {
    return EchoPipeline.availableTransports().stream().map(TransportProvider::name);
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static byte[] await(CompletableFuture<byte[]> exchange) throws Exception {
    return exchange.get(60, TimeUnit.SECONDS);
  }

  @ParameterizedTest
  @MethodSource("transports")
  void bothClientsGetTheirExactBytesBack(String transport) throws Exception {
    byte[] hello = "Hello World".getBytes(StandardCharsets.UTF_8);
    // 300 KB comes back in many reads, so a client that took one read for the whole echo fails.
    byte[] big = random(300 * 1024, 1);
    try (EchoPipeline pipeline = EchoPipeline.start(EchoPipeline.transport(transport))) {
      assertEquals(transport, pipeline.ipc().transportName());
      assertArrayEquals(hello, pipeline.sendSynchronously(hello));
      assertArrayEquals(big, pipeline.sendSynchronously(big));
      assertArrayEquals(hello, await(pipeline.sendAsynchronously(hello)));
      assertArrayEquals(big, await(pipeline.sendAsynchronously(big)));
      assertArrayEquals(new byte[0], pipeline.sendSynchronously(new byte[0]));
      assertArrayEquals(new byte[0], await(pipeline.sendAsynchronously(new byte[0])));
    }
  }

  @ParameterizedTest
  @MethodSource("transports")
  void messagesBiggerThanTheStreamBuffersGetThrough(String transport) throws Exception {
    // 4 MiB outgrows the 1 MiB outbound limit, so writes take part of it and must be resumed.
    byte[] huge = random(4 << 20, 2);
    try (EchoPipeline pipeline = EchoPipeline.start(EchoPipeline.transport(transport))) {
      assertArrayEquals(huge, pipeline.sendSynchronously(huge));
      assertArrayEquals(huge, await(pipeline.sendAsynchronously(huge)));
    }
  }

  @ParameterizedTest
  @MethodSource("transports")
  void manyAsynchronousClientsAtOnceNeedNoThreadOfTheirOwn(String transport) throws Exception {
    try (EchoPipeline pipeline = EchoPipeline.start(EchoPipeline.transport(transport))) {
      List<byte[]> messages = new ArrayList<>();
      List<CompletableFuture<byte[]>> echoes = new ArrayList<>();
      // All started from this one thread, which then only waits: the event loops do the rest.
      for (int i = 0; i < 20; i++) {
        byte[] message = random(1 + 20_000 * i, 10 + i);
        messages.add(message);
        echoes.add(pipeline.sendAsynchronously(message));
      }
      for (int i = 0; i < messages.size(); i++) {
        assertArrayEquals(messages.get(i), await(echoes.get(i)), "client " + i);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("transports")
  void closingTheRuntimeLeavesTheGroupAndTheNettyServerRunning(String transport) throws Exception {
    EchoPipeline pipeline = EchoPipeline.start(EchoPipeline.transport(transport));
    try {
      assertArrayEquals(new byte[] {1, 2, 3}, pipeline.sendSynchronously(new byte[] {1, 2, 3}));
      pipeline.ipc().close();

      assertFalse(pipeline.group().isShuttingDown());
      assertEquals("alive", pipeline.group().submit(() -> "alive").get(10, TimeUnit.SECONDS));
      assertTrue(pipeline.serverChannel().isActive());
      // The Netty server is the application's, not bbipc's: another runtime's client still gets its
      // echo.
      assertEquals(
          "still serving",
          EchoExample.sendToServer("still serving", IPV4_LOOPBACK, pipeline.port()));

      assertThrows(IpcException.class, () -> pipeline.sendSynchronously(new byte[] {4}));
      ExecutionException failed =
          assertThrows(
              ExecutionException.class,
              () -> pipeline.sendAsynchronously(new byte[] {5}).get(10, TimeUnit.SECONDS));
      assertInstanceOf(IpcException.class, failed.getCause());
    } finally {
      pipeline.close();
    }
    assertTrue(pipeline.group().isTerminated(), "the example did not shut its group down");
  }

  @ParameterizedTest
  @MethodSource("transports")
  void bothClientsReportAServerThatIsGone(String transport) throws Exception {
    try (EchoPipeline pipeline = EchoPipeline.start(EchoPipeline.transport(transport))) {
      assertTrue(pipeline.serverChannel().close().await(10, TimeUnit.SECONDS));
      IpcException syncFailure =
          assertThrows(IpcException.class, () -> pipeline.sendSynchronously(new byte[] {1}));
      assertTrue(
          syncFailure.getMessage().startsWith("could not connect to 127.0.0.1:"),
          syncFailure.getMessage());
      ExecutionException asyncFailure =
          assertThrows(
              ExecutionException.class,
              () -> pipeline.sendAsynchronously(new byte[] {1}).get(10, TimeUnit.SECONDS));
      assertInstanceOf(IpcException.class, asyncFailure.getCause());
      assertTrue(
          asyncFailure.getCause().getMessage().startsWith("could not connect to 127.0.0.1:"),
          asyncFailure.getCause().getMessage());
    }
  }

  @Test
  void theDemoPrintsWhatWasSentAndWhatCameBack() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      assertTrue(EchoPipeline.run(EchoPipeline.defaultTransport(), out));
    }
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    try (Ipc ipc = Ipc.create()) {
      assertTrue(
          lines
              .get(0)
              .matches(
                  "netty echo server listening on 127\\.0\\.0\\.1:\\d+ \\(transport "
                      + ipc.transportName()
                      + ", .*"),
          lines.get(0));
    }
    assertEquals("synchronous client sent: Hello World", lines.get(1));
    assertEquals("synchronous client received: Hello World", lines.get(2));
    assertEquals(
        2,
        lines.stream().filter(l -> l.startsWith("synchronous client sent: ")).count(),
        lines.toString());
    assertEquals(
        2,
        lines.stream().filter(l -> l.startsWith("asynchronous client sent: ")).count(),
        lines.toString());
    for (int i = 1; i <= 7; i += 2) {
      String sent = lines.get(i);
      assertTrue(sent.contains(" sent: "), sent);
      assertEquals(sent.replace(" sent: ", " received: "), lines.get(i + 1));
    }
    assertTrue(
        lines.contains(
            "synchronous client sent: " + EchoPipeline.BIG_MESSAGE + " bytes, CRC-32 9f04865c"),
        lines.toString());
    assertEquals(
        "bbipc runtime closed; event loop group still running: true, Netty server still open: true",
        lines.get(lines.size() - 2));
    assertEquals("event loop group shut down by its owner", lines.get(lines.size() - 1));
  }

  @Test
  void anUnknownTransportNameSaysWhichThereAre() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> EchoPipeline.transport("carrier-pigeon"));
    assertTrue(
        e.getMessage().contains("\"carrier-pigeon\"") && e.getMessage().contains("nio"),
        e.getMessage());
  }

  @Test
  void theDefaultTransportIsTheOneIpcCreatePicks() {
    try (Ipc ipc = Ipc.create()) {
      assertEquals(ipc.transportName(), EchoPipeline.defaultTransport().name());
    }
  }
}
