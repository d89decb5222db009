package io.bbipc.kqueue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.security.auth.module.UnixSystem;
import io.bbipc.Ipc;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv4TcpStream;
import io.bbipc.LocalServer;
import io.bbipc.LocalStream;
import io.bbipc.PeerCredentials;
import io.bbipc.SocketEvent;
import io.bbipc.StreamSocket;
import io.bbipc.Timeout;
import io.bbipc.spi.TransportProvider;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.kqueue.KQueue;
import io.netty.channel.kqueue.KQueueIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.EventExecutor;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KQueueTransportProviderTest {
  private static final String NAME = "kqueue";
  private static final Timeout WAIT = Timeout.seconds(5);

  @TempDir Path dir;

  private static TransportProvider loaded() {
    List<TransportProvider> named = ServiceLoader.load(TransportProvider.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(p -> p.name().equals(NAME))
        .collect(Collectors.toList());
    assertEquals(1, named.size(), "providers named " + NAME + " found by ServiceLoader: " + named);
    return named.get(0);
  }

  /** Skips, saying why, where kqueue cannot run (every Linux machine): never a silent pass. */
  private static void requireKQueue() {
    if (!KQueue.isAvailable()) {
      assumeTrue(false, "kqueue unavailable: " + loaded().unavailabilityCause());
    }
  }

  @Test
  void serviceLoaderFindsTheProviderAvailableOrNot() {
    TransportProvider p = loaded();
    assertInstanceOf(KQueueTransportProvider.class, p);
    assertEquals(KQueue.isAvailable(), p.isAvailable());
    assertEquals(KQueueTransportProvider.PRIORITY, p.priority());
    if (p.isAvailable()) {
      assertNull(p.unavailabilityCause());
    } else {
      assertNotNull(p.unavailabilityCause(), "an unavailable transport must say why");
      // the bare initializer error says nothing in a listing; what it wraps does
      assertFalse(p.unavailabilityCause() instanceof ExceptionInInitializerError, p.unavailabilityCause().toString());
      Throwable netty = KQueue.unavailabilityCause();
      assertTrue(p.unavailabilityCause() == netty || p.unavailabilityCause() == netty.getCause(),
          () -> p.unavailabilityCause() + " is not Netty's " + netty);
    }
  }

  @Test
  void unavailableTransportIsRefusedByNameWithItsCause() {
    assumeFalse(KQueue.isAvailable(), "kqueue is available here; nothing to refuse");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Ipc.builder().transport(NAME).build().close());
    assertTrue(e.getMessage().contains("\"" + NAME + "\""), e.getMessage());
    assertTrue(e.getMessage().contains(loaded().unavailabilityCause().toString()), e.getMessage());
  }

  @Test
  void withoutNettysTransportClassesTheProviderStillLoadsAndSaysWhy() throws Exception {
    // only bbipc and Netty's portable jars: no KQueue classes, no unix-common, no native library
    List<URL> urls = new ArrayList<>();
    for (Class<?> from : List.of(TransportProvider.class, KQueueTransportProvider.class, Channel.class,
        ByteBuf.class, EventExecutor.class)) {
      urls.add(from.getProtectionDomain().getCodeSource().getLocation());
    }
    try (URLClassLoader bare = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
      Class<?> spi = Class.forName(TransportProvider.class.getName(), true, bare);
      Object found = null;
      for (Object p : ServiceLoader.load(spi, bare)) {
        if (NAME.equals(spi.getMethod("name").invoke(p))) {
          found = p;
        }
      }
      assertNotNull(found, "ServiceLoader skipped the provider whose Netty classes are missing");
      assertEquals(Boolean.FALSE, spi.getMethod("isAvailable").invoke(found));
      Object cause = spi.getMethod("unavailabilityCause").invoke(found);
      assertInstanceOf(NoClassDefFoundError.class, cause, String.valueOf(cause));
    }
  }

  @Test
  void localAddressIsNettysDomainSocketAddress() {
    Path path = dir.resolve("a.sock");
    DomainSocketAddress address = assertInstanceOf(DomainSocketAddress.class, loaded().localAddress(path));
    assertEquals(path.toString(), address.path());
  }

  @Test
  void noCredentialsForOtherChannels() {
    EmbeddedChannel other = new EmbeddedChannel();
    try {
      assertEquals(Optional.empty(), loaded().peerCredentials(other));
    } finally {
      other.finishAndReleaseAll();
    }
  }

  @Test
  void builderRunsOnThisTransport() {
    requireKQueue();
    try (Ipc ipc = Ipc.builder().transport(NAME).build()) {
      assertEquals(NAME, ipc.transportName());
      assertTrue(((IoEventLoopGroup) ipc.eventLoopGroup()).isIoType(KQueueIoHandler.class));
    }
  }

  @Test
  void defaultRuntimePrefersThisTransportOverNio() {
    requireKQueue();
    String forced = System.getProperty("bbipc.transport");
    assumeTrue(forced == null || forced.isBlank(), "bbipc.transport is set to " + forced);
    try (Ipc ipc = Ipc.create()) {
      assertEquals(NAME, ipc.transportName());
    }
  }

  @Test
  void tcpEcho() throws Exception {
    requireKQueue();
    try (Ipc ipc = Ipc.builder().transport(NAME).build();
         Ipv4TcpServer server = ipc.makeIpv4TcpServer("127.0.0.1", 0);
         Ipv4TcpStream client = ipc.connectToIpv4TcpServer("127.0.0.1", server.port())) {
      assertTrue(client.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT));
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
      try (Ipv4TcpStream peer = server.acceptConnection()) {
        assertEquals(client.localPort(), peer.remotePort());
        echo(client, peer);
      }
    }
  }

  @Test
  void localEchoWithPeerCredentials() throws Exception {
    requireKQueue();
    Path path = dir.resolve("echo.sock");
    try (Ipc ipc = Ipc.builder().transport(NAME).build();
         LocalServer server = ipc.makeLocalServer(path);
         LocalStream client = ipc.connectToLocalServer(path)) {
      assertTrue(client.poll(SocketEvent.CONNECTION_SUCCEEDED, WAIT));
      assertTrue(server.poll(SocketEvent.CONNECTION_AVAILABLE, WAIT));
      try (LocalStream peer = server.acceptConnection()) {
        assertEquals(path, peer.localPathname());
        echo(client, peer);
        assertIsThisProcess(client.peerCredentials(), "client end");
        assertIsThisProcess(peer.peerCredentials(), "accepted end");
      }
      server.close();
      assertFalse(Files.exists(path));
    }
  }

  /** Sends a message each way and checks it arrives whole. */
  private static void echo(StreamSocket a, StreamSocket b) throws Exception {
    byte[] ping = ("ping over " + NAME).getBytes(StandardCharsets.US_ASCII);
    assertEquals(ping.length, a.writeToStream(ping));
    assertArrayEquals(ping, receive(b, ping.length));
    byte[] pong = ("pong over " + NAME).getBytes(StandardCharsets.US_ASCII);
    assertEquals(pong.length, b.writeToStream(pong));
    assertArrayEquals(pong, receive(a, pong.length));
  }

  /** Reads exactly {@code n} bytes, however the kernel splits them. */
  private static byte[] receive(StreamSocket s, int n) throws Exception {
    byte[] got = new byte[n];
    int have = 0;
    while (have < n) {
      assertTrue(s.poll(SocketEvent.DATA_AVAILABLE, WAIT), "no data within 5 s after " + have + " bytes");
      have += s.readFromStream(got, have, n);
    }
    return got;
  }

  private static void assertIsThisProcess(Optional<PeerCredentials> credentials, String end) throws Exception {
    PeerCredentials c = credentials.orElseThrow(() -> new AssertionError(end + " reports no peer credentials"));
    boolean macOs = System.getProperty("os.name", "").startsWith("Mac");
    if (macOs || c.pid() != -1) {
      // only macOS has LOCAL_PEERPID; elsewhere the provider says -1, "unknown"
      assertEquals(ProcessHandle.current().pid(), c.pid(), end + " pid");
    }
    UnixSystem self = new UnixSystem();
    assertEquals(self.getUid(), c.uid(), end + " uid");
    assertEquals(self.getGid(), c.gid(), end + " gid");
  }
}
