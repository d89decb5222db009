package io.bbipc.nio;

import io.netty.channel.ChannelException;
import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.Channel;

/** What bbipc's NIO local stream and server channels do alike with the JDK's channel under them. */
final class UnixChannels {
  private UnixChannels() {}

  /** {@code SocketChannel::open} or {@code ServerSocketChannel::open}. */
  interface Opener<C> {
    C open(ProtocolFamily family) throws IOException;
  }

  /** {@code getLocalAddress} or {@code getRemoteAddress} of a JDK channel. */
  interface AddressQuery {
    SocketAddress get() throws IOException;
  }

  /** The close steps of Netty's superclass: {@code super::doClose}. */
  interface NettyClose {
    void run() throws Exception;
  }

  /**
   * Opens a Unix domain channel for a channel's constructor, where a checked exception cannot go.
   */
  static <C> C open(Opener<C> opener, String what) {
    try {
      return opener.open(StandardProtocolFamily.UNIX);
    } catch (IOException e) {
      throw new ChannelException("cannot open a Unix domain " + what, e);
    }
  }

  /** The channel's address, or null once it is closed (Netty asks a closed channel too). */
  static SocketAddress addressOrNull(AddressQuery query) {
    try {
      return query.get();
    } catch (IOException | RuntimeException closed) {
      return null;
    }
  }

  /** Netty's close steps, then the JDK channel's close, whatever they threw. */
  static void close(NettyClose nettyClose, Channel channel) throws Exception {
    try {
      nettyClose.run();
    } finally {
      channel.close();
    }
  }
}
