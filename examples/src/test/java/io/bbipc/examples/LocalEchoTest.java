package io.bbipc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bbipc.Ipc;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalEchoTest {
  @TempDir Path directory;

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
    String transport = Ipc.shared().transportName();
    boolean hasCredentials = EchoPipeline.transport(transport).hasPeerCredentials();
    int uid = (Integer) Files.getAttribute(directory, "unix:uid");
    Pattern credentials = Pattern.compile("pid (\\d+), uid (\\d+), gid -?\\d+");
    for (String end : List.of("server sees client: ", "client sees server: ")) {
      String line =
          lines.stream()
              .filter(l -> l.startsWith(end))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no line starting '" + end + "' in " + lines));
      String seen = line.substring(end.length());
      if (hasCredentials) {
        Matcher m = credentials.matcher(seen);
        assertTrue(m.matches(), line);
        assertEquals(ProcessHandle.current().pid(), Long.parseLong(m.group(1)), line);
        // The test made the directory, so its owner is this process's user.
        assertEquals(uid, Integer.parseInt(m.group(2)), line);
      } else {
        assertEquals("peer credentials are not available on the " + transport + " transport", seen);
      }
    }
    assertFalse(Files.exists(directory.resolve("echo.sock")), "socket file left behind");
  }

  @Test
  void linuxRunsLocalEchoOnATransportThatKnowsItsPeer() {
    // The examples depend on the epoll and io_uring modules for exactly this.
    assumeTrue(System.getProperty("os.name").startsWith("Linux"), "not Linux");
    assumeTrue(System.getProperty("bbipc.transport") == null, "a transport is forced");
    assertTrue(
        EchoPipeline.transport(Ipc.shared().transportName()).hasPeerCredentials(),
        Ipc.transportReport());
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
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> LocalEcho.run(directory, message, out));
      assertTrue(
          e.getMessage().contains(String.valueOf(LocalEcho.MAX_MESSAGE + 1)), e.getMessage());
    }
    assertFalse(Files.exists(directory.resolve("echo.sock")));
  }
}
