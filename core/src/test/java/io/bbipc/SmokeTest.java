package io.bbipc;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmokeTest {
  @TempDir Path dir;

  @Test
  void tcpEcho() throws Exception {
    try (Ipc ipc = Ipc.create();
         Ipv4TcpServer server = ipc.makeIpv4TcpServer("127.0.0.1", 0);
         Ipv4TcpStream client = ipc.connectToIpv4TcpServer("127.0.0.1", server.port())) {
      assertTrue(client.poll(SocketEvent.CONNECTION_SUCCEEDED, Timeout.seconds(5)));
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, Timeout.seconds(5)));
      try (Ipv4TcpStream peer = server.acceptConnection()) {
        byte[] msg = "hello".getBytes(StandardCharsets.US_ASCII);
        assertEquals(5, client.writeToStream(msg));
        assertTrue(peer.poll(SocketEvent.DATA_AVAILABLE, Timeout.seconds(5)));
        byte[] buf = new byte[10];
        assertEquals(5, peer.readFromStream(buf));
        assertEquals("hello", new String(buf, 0, 5, StandardCharsets.US_ASCII));
        peer.close();
        assertEquals(Set.of(SocketEvent.REMOTE_DISCONNECTED), client.poll(Set.of(SocketEvent.REMOTE_DISCONNECTED), Timeout.seconds(5)));
      }
    }
  }

  @Test
  void localEcho() throws Exception {
    Path p = dir.resolve("s");
    try (Ipc ipc = Ipc.create();
         LocalServer server = ipc.makeLocalServer(p);
         LocalStream client = ipc.connectToLocalServer(p)) {
      assertTrue(Files.exists(p));
      assertTrue(client.poll(SocketEvent.CONNECTION_SUCCEEDED, Timeout.seconds(5)));
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, Timeout.seconds(5)));
      try (LocalStream peer = server.acceptConnection()) {
        assertEquals(3, client.writeToStream(new byte[] {1, 2, 3}));
        assertTrue(peer.poll(SocketEvent.DATA_AVAILABLE, Timeout.seconds(5)));
        assertEquals(3, peer.readFromStream(new byte[10]));
      }
      server.close();
      assertFalse(Files.exists(p));
    }
  }
}
