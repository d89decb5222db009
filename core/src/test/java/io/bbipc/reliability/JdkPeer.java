package io.bbipc.reliability;

import io.bbipc.Ipv4TcpServer;
import io.bbipc.LocalServer;
import io.bbipc.StreamServer;
import io.bbipc.conformance.Fixture;
import io.bbipc.conformance.Streams;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A plain JDK socket at the other end of a bbipc stream: it can do what bbipc never does on purpose
 * (reset with SO_LINGER 0, vanish without reading), as a crashed peer would.
 */
final class JdkPeer implements AutoCloseable {
  final SocketChannel channel;

  private JdkPeer(SocketChannel channel) {
    this.channel = channel;
  }

  /** Connects to a bbipc server; the channel is non-blocking once connected. */
  static JdkPeer connectTo(Fixture.Kind kind, StreamServer server) throws IOException {
    SocketChannel ch =
        kind == Fixture.Kind.TCP
            ? SocketChannel.open(
                new InetSocketAddress(
                    InetAddress.getByName("127.0.0.1"), ((Ipv4TcpServer) server).port()))
            : SocketChannel.open(
                UnixDomainSocketAddress.of(((LocalServer) server).localPathname()));
    ch.configureBlocking(false);
    return new JdkPeer(ch);
  }

  /** A listener a bbipc client can connect to. */
  static final class Listener implements AutoCloseable {
    final ServerSocketChannel channel;
    final Path path;

    Listener(Fixture.Kind kind, Path dir) throws IOException {
      if (kind == Fixture.Kind.TCP) {
        channel = ServerSocketChannel.open();
        channel.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        path = null;
      } else {
        path = dir.resolve("jdk.sock");
        channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        channel.bind(UnixDomainSocketAddress.of(path));
      }
      channel.configureBlocking(false);
    }

    int port() throws IOException {
      return ((InetSocketAddress) channel.getLocalAddress()).getPort();
    }

    /** Accepts one connection, waiting at most {@code seconds}. */
    JdkPeer accept(double seconds) throws IOException {
      long deadline = Streams.deadline(seconds);
      while (true) {
        SocketChannel ch = channel.accept();
        if (ch != null) {
          ch.configureBlocking(false);
          return new JdkPeer(ch);
        }
        Streams.checkDeadline(deadline, "the JDK listener to accept a connection");
        Rel.step();
      }
    }

    @Override
    public void close() throws IOException {
      channel.close();
      if (path != null) {
        Files.deleteIfExists(path);
      }
    }
  }

  /** Writes until the kernel takes no more (the other end stopped reading); returns the count. */
  long flood(Rel.Pattern pattern, long offset, double seconds) throws IOException {
    return write(
        pattern,
        offset,
        Long.MAX_VALUE,
        3,
        seconds,
        "the JDK peer's flood to fill the kernel buffers");
  }

  /**
   * Writes the pattern's bytes from {@code offset} on, at most {@code max} of them, stopping early
   * once the kernel has taken nothing {@code idleSteps} steps in a row; returns the count.
   */
  long write(Rel.Pattern pattern, long offset, long max, int idleSteps, double seconds, String what)
      throws IOException {
    long deadline = Streams.deadline(seconds);
    long written = 0;
    int zeros = 0;
    while (written < max && zeros < idleSteps) {
      int start = pattern.start(offset + written);
      int n =
          channel.write(
              ByteBuffer.wrap(pattern.bytes, start, (int) Math.min(64 * 1024, max - written)));
      written += n;
      if (n == 0) {
        zeros++;
        Streams.checkDeadline(deadline, what);
        Rel.step();
      } else {
        zeros = 0;
      }
    }
    return written;
  }

  /** Writes all of {@code data}. */
  void writeFully(byte[] data, double seconds) throws IOException {
    long deadline = Streams.deadline(seconds);
    ByteBuffer b = ByteBuffer.wrap(data);
    while (b.hasRemaining()) {
      if (channel.write(b) == 0) {
        Streams.checkDeadline(deadline, "the JDK peer to write " + data.length + " bytes");
        Rel.step();
      }
    }
  }

  /** Closes with SO_LINGER 0: a TCP reset instead of an orderly FIN. */
  void reset() throws IOException {
    channel.setOption(StandardSocketOptions.SO_LINGER, 0);
    channel.close();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
