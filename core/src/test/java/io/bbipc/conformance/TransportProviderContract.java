package io.bbipc.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
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
import io.bbipc.TransportInfo;
import io.bbipc.spi.TransportProvider;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandler;
import io.netty.channel.embedded.EmbeddedChannel;
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

/**
 * What every native transport module's provider must do, run by each module's test as a subclass:
 * the module's jar is on the class path there, and only there is the provider found.
 *
 * <p>Tests that need the transport to run skip, saying why, where it cannot and {@link
 * #mustBeAvailableHere()} is false; never a silent pass.
 */
public abstract class TransportProviderContract {
  private static final Timeout WAIT = Timeout.seconds(5);

  @TempDir Path dir;

  /**
   * Returns the name the provider must register under.
   *
   * @return the name, as given to {@code Ipc.Builder.transport}
   */
  protected abstract String transportName();

  /**
   * Returns the class that ServiceLoader must find under that name.
   *
   * @return the provider class
   */
  protected abstract Class<? extends TransportProvider> providerType();

  /**
   * Returns the rank the provider must report.
   *
   * @return the priority
   */
  protected abstract int expectedPriority();

  /**
   * Returns the handler type that the event loops of a runtime on this transport must have, known
   * independently of the provider under test.
   *
   * @return Netty's handler class for the transport
   */
  protected abstract Class<? extends IoHandler> expectedIoHandlerType();

  /**
   * Asks Netty itself whether the transport can run here, the truth the provider must report.
   *
   * @return Netty's {@code isAvailable()}
   */
  protected abstract boolean nettyIsAvailable();

  /**
   * Asks Netty itself why the transport cannot run here.
   *
   * @return Netty's {@code unavailabilityCause()}
   */
  protected abstract Throwable nettyUnavailabilityCause();

  /**
   * Tells whether every machine that runs this module's tests must be able to run the transport:
   * then its absence fails the tests rather than skipping them.
   *
   * @return true for a transport of the operating system the module is built on
   */
  protected abstract boolean mustBeAvailableHere();

  /**
   * Whether a transport must be available on this machine: the ones of its platform ({@code linux}:
   * epoll and io_uring; {@code mac}: kqueue), unless {@code -Dbbipc.require} lists the required
   * ones (comma-separated; empty for none), as on a machine or container where io_uring is switched
   * off.
   *
   * @param transport the transport's name
   * @param platform the {@code os.name} fragment, lower case, of the platform it belongs to
   * @return true if an unavailable transport should fail the contract rather than skip it
   */
  protected static boolean requiredHere(String transport, String platform) {
    String listed = System.getProperty("bbipc.require");
    if (listed != null) {
      return java.util.Arrays.asList(listed.split("\\s*,\\s*")).contains(transport);
    }
    return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains(platform);
  }

  /**
   * Tells whether local sockets of this transport may have Linux abstract names.
   *
   * @return the expected {@link TransportProvider#hasAbstractNamespace()}
   */
  protected abstract boolean expectsAbstractNamespace();

  /**
   * Tells whether the kernel always tells the peer's pid; where it need not, a pid of -1 is
   * accepted as "unknown", but any other pid must still be right.
   *
   * @return true by default
   */
  protected boolean peerPidAlwaysKnown() {
    return true;
  }

  /** Finds the provider as bbipc does, and checks it is the only one of its name. */
  protected final TransportProvider loaded() {
    String name = transportName();
    List<TransportProvider> named =
        ServiceLoader.load(TransportProvider.class).stream()
            .map(ServiceLoader.Provider::get)
            .filter(p -> p.name().equals(name))
            .collect(Collectors.toList());
    assertEquals(1, named.size(), "providers named " + name + " found by ServiceLoader: " + named);
    return named.get(0);
  }

  /** Skips, saying why, where the transport cannot run and need not; fails where it must. */
  private void requireTransport() {
    if (!nettyIsAvailable()) {
      String why = transportName() + " unavailable: " + loaded().unavailabilityCause();
      if (mustBeAvailableHere()) {
        fail(why);
      }
      assumeTrue(false, why);
    }
  }

  @Test
  void serviceLoaderFindsTheProviderAvailableOrNot() {
    TransportProvider p = loaded();
    assertInstanceOf(providerType(), p);
    if (mustBeAvailableHere()) {
      assertTrue(
          p.isAvailable(),
          () -> transportName() + " unavailable on this machine: " + p.unavailabilityCause());
    }
    assertEquals(nettyIsAvailable(), p.isAvailable());
    assertEquals(expectedPriority(), p.priority());
    if (p.isAvailable()) {
      assertNull(p.unavailabilityCause());
    } else {
      assertNotNull(p.unavailabilityCause(), "an unavailable transport must say why");
      // the bare initializer error says nothing in a listing; what it wraps does
      assertFalse(
          p.unavailabilityCause() instanceof ExceptionInInitializerError,
          p.unavailabilityCause().toString());
      Throwable netty = nettyUnavailabilityCause();
      assertTrue(
          p.unavailabilityCause() == netty || p.unavailabilityCause() == netty.getCause(),
          () -> p.unavailabilityCause() + " is not Netty's " + netty);
    }
  }

  @Test
  void unavailableTransportIsRefusedByNameWithItsCause() {
    String name = transportName();
    assumeFalse(nettyIsAvailable(), name + " is available here; nothing to refuse");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Ipc.builder().transport(name).build().close());
    assertTrue(e.getMessage().contains("\"" + name + "\""), e.getMessage());
    assertTrue(e.getMessage().contains(loaded().unavailabilityCause().toString()), e.getMessage());
  }

  @Test
  void withoutNettysTransportClassesTheProviderStillLoadsAndSaysWhy() throws Exception {
    // only bbipc and Netty's portable jars: no transport classes, no unix-common, no native library
    List<URL> urls = new ArrayList<>();
    for (Class<?> from :
        List.of(
            TransportProvider.class,
            providerType(),
            Channel.class,
            ByteBuf.class,
            EventExecutor.class)) {
      urls.add(from.getProtectionDomain().getCodeSource().getLocation());
    }
    try (URLClassLoader bare =
        new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
      Class<?> spi = Class.forName(TransportProvider.class.getName(), true, bare);
      Object found = null;
      for (Object p : ServiceLoader.load(spi, bare)) {
        if (transportName().equals(spi.getMethod("name").invoke(p))) {
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
    DomainSocketAddress address =
        assertInstanceOf(DomainSocketAddress.class, loaded().localAddress(path));
    assertEquals(path.toString(), address.path());
  }

  @Test
  void abstractNamesOnlyWhereExpected() {
    TransportProvider p = loaded();
    assertEquals(expectsAbstractNamespace(), p.hasAbstractNamespace());
    if (expectsAbstractNamespace()) {
      DomainSocketAddress address =
          assertInstanceOf(DomainSocketAddress.class, p.abstractAddress("bbipc-test"));
      assertEquals("\0bbipc-test", address.path());
    } else {
      assertThrows(UnsupportedOperationException.class, () -> p.abstractAddress("bbipc-test"));
    }
  }

  @Test
  void noCredentialsForOtherChannels() {
    TransportProvider p = loaded();
    assertTrue(p.hasPeerCredentials());
    EmbeddedChannel other = new EmbeddedChannel();
    try {
      assertEquals(Optional.empty(), p.peerCredentials(other));
    } finally {
      other.finishAndReleaseAll();
    }
  }

  @Test
  void ipcTransportsListsThisProviderAsNettySeesIt() {
    List<TransportInfo> all = Ipc.transports();
    TransportInfo t =
        all.stream()
            .filter(i -> i.name().equals(transportName()))
            .findFirst()
            .orElseThrow(() -> new AssertionError(transportName() + " not in " + all));
    assertInstanceOf(providerType(), t.provider());
    assertEquals(expectedPriority(), t.priority());
    assertEquals(nettyIsAvailable(), t.isAvailable());
    assertEquals(Optional.ofNullable(loaded().unavailabilityCause()), t.unavailabilityCause());
    // nio (priority 0) is always there, and a native transport ranks above it
    assertTrue(
        all.indexOf(t)
            < all.indexOf(
                all.stream().filter(i -> i.name().equals("nio")).findFirst().orElseThrow()),
        all.toString());
  }

  @Test
  void builderRunsOnThisTransport() {
    requireTransport();
    try (Ipc ipc = Ipc.builder().transport(transportName()).build()) {
      assertEquals(transportName(), ipc.transportName());
      IoEventLoopGroup group = (IoEventLoopGroup) ipc.eventLoopGroup();
      assertTrue(loaded().drives(group), "the provider does not recognise its own group");
      // the type it names for borrowed groups is Netty's own handler, known apart from the provider
      assertEquals(expectedIoHandlerType(), loaded().ioHandlerType());
    }
  }

  @Test
  void defaultRuntimePrefersThisTransportOverNio() {
    requireTransport();
    String forced = System.getProperty("bbipc.transport");
    assumeTrue(forced == null || forced.isBlank(), "bbipc.transport is set to " + forced);
    try (Ipc ipc = Ipc.create()) {
      assertEquals(transportName(), ipc.transportName());
    }
  }

  @Test
  void tcpEcho() throws Exception {
    requireTransport();
    try (Ipc ipc = Ipc.builder().transport(transportName()).build();
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
    requireTransport();
    Path path = dir.resolve("echo.sock");
    try (Ipc ipc = Ipc.builder().transport(transportName()).build();
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
  private void echo(StreamSocket a, StreamSocket b) throws Exception {
    byte[] ping = ("ping over " + transportName()).getBytes(StandardCharsets.US_ASCII);
    assertEquals(ping.length, a.writeToStream(ping));
    assertArrayEquals(ping, receive(b, ping.length));
    byte[] pong = ("pong over " + transportName()).getBytes(StandardCharsets.US_ASCII);
    assertEquals(pong.length, b.writeToStream(pong));
    assertArrayEquals(pong, receive(a, pong.length));
  }

  /** Reads exactly {@code n} bytes, however the kernel splits them. */
  private static byte[] receive(StreamSocket s, int n) throws Exception {
    byte[] got = new byte[n];
    int have = 0;
    while (have < n) {
      assertTrue(
          s.poll(SocketEvent.DATA_AVAILABLE, WAIT), "no data within 5 s after " + have + " bytes");
      have += s.readFromStream(got, have, n);
    }
    return got;
  }

  private void assertIsThisProcess(Optional<PeerCredentials> credentials, String end)
      throws Exception {
    PeerCredentials c =
        credentials.orElseThrow(() -> new AssertionError(end + " reports no peer credentials"));
    if (peerPidAlwaysKnown() || c.pid() != -1) {
      assertEquals(ProcessHandle.current().pid(), c.pid(), end + " pid");
    }
    UnixSystem self = new UnixSystem();
    assertEquals(self.getUid(), c.uid(), end + " uid");
    assertEquals(self.getGid(), c.gid(), end + " gid");
  }
}
