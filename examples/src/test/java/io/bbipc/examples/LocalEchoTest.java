package io.bbipc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bbipc.Ipc;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalEchoTest {
  @TempDir
  Path directory;

  private static List<String> lines(ByteArrayOutputStream bytes) {
    return bytes.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void echoesOverALocalSocketAndSaysWhoIsAtTheOtherEnd() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      assertEquals("Hello World", LocalEcho.run(directory, "Hello World", out));
    }
    List<String> lines = lines(bytes);
    assertTrue(lines.contains("sent: Hello World"), lines.toString());
    assertTrue(lines.contains("received: Hello World"), lines.toString());
    // Both ends are this process, so credentials, where the transport has them, name it.
    String expected = "nio".equals(Ipc.shared().transportName())
        ? "peer credentials are not available on the nio transport"
        : "pid " + ProcessHandle.current().pid() + ",";
    assertTrue(lines.stream().filter(l -> l.startsWith("server sees client: ")
        || l.startsWith("client sees server: ")).allMatch(l -> l.contains(expected))
        && lines.stream().anyMatch(l -> l.startsWith("server sees client: ")), lines.toString());
    assertFalse(Files.exists(directory.resolve("echo.sock")), "socket file left behind");
  }

  @Test
  void echoesTheLongestMessageItAccepts() throws Exception {
    String message = "\u20ac".repeat(LocalEcho.MAX_MESSAGE / 3);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      assertEquals(message, LocalEcho.run(directory, message, out));
    }
  }

  @Test
  void refusesALongerMessageBeforeMakingASocket() {
    String message = "x".repeat(LocalEcho.MAX_MESSAGE + 1);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> LocalEcho.run(directory, message, out));
      assertTrue(e.getMessage().contains(String.valueOf(LocalEcho.MAX_MESSAGE + 1)), e.getMessage());
    }
    assertFalse(Files.exists(directory.resolve("echo.sock")));
  }
}
