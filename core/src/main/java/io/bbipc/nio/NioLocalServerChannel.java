package io.bbipc.nio;

import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.ServerChannel;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.nio.AbstractNioMessageChannel;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Map;

/**
 * A Unix domain server on Netty's NIO event loop whose accepted streams are {@link
 * NioLocalChannel}s, so that they can keep sending after their peer's end-of-stream.
 *
 * <p>Unlike Netty's {@code NioServerDomainSocketChannel} it never deletes the socket file: bbipc's
 * {@code SocketFiles} owns the file's life (and binds a temporary name first).
 *
 * <p>Public, as is its no-argument constructor, because bbipc's channel factory makes it by
 * reflection from another package ({@code io.bbipc.internal}).
 */
public final class NioLocalServerChannel extends AbstractNioMessageChannel
    implements ServerChannel {
  private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

  private final Config config = new Config();
  private volatile boolean bound;

  /** A server that is yet to bind; public for bbipc's channel factory. */
  public NioLocalServerChannel() {
    super(
        null,
        UnixChannels.open(ServerSocketChannel::open, "server socket"),
        SelectionKey.OP_ACCEPT);
  }

  @Override
  protected ServerSocketChannel javaChannel() {
    return (ServerSocketChannel) super.javaChannel();
  }

  @Override
  public DefaultChannelConfig config() {
    return config;
  }

  @Override
  public ChannelMetadata metadata() {
    return METADATA;
  }

  @Override
  public boolean isActive() {
    // a closed ServerSocketChannel still says it is bound
    return isOpen() && bound;
  }

  @Override
  protected void doBind(SocketAddress localAddress) throws Exception {
    javaChannel().bind(localAddress, config.backlog);
    bound = true;
  }

  @Override
  protected int doReadMessages(List<Object> accepted) throws Exception {
    SocketChannel socket = javaChannel().accept();
    if (socket == null) {
      return 0;
    }
    try {
      accepted.add(new NioLocalChannel(this, socket));
      return 1;
    } catch (Throwable t) {
      // One connection that cannot be set up must not close the server (Netty closes a server
      // channel whose read throws anything but an IOException). Not handed to anyone, so
      // nobody else would close it; the pipeline's end logs what went wrong.
      try {
        socket.close();
      } catch (IOException | RuntimeException closing) {
        t.addSuppressed(closing);
      }
      pipeline().fireExceptionCaught(t);
      return 0;
    }
  }

  @Override
  protected SocketAddress localAddress0() {
    return UnixChannels.addressOrNull(javaChannel()::getLocalAddress);
  }

  @Override
  protected SocketAddress remoteAddress0() {
    return null;
  }

  @Override
  protected void doClose() throws Exception {
    UnixChannels.close(super::doClose, javaChannel());
  }

  @Override
  protected boolean doConnect(SocketAddress remote, SocketAddress local) {
    throw new UnsupportedOperationException("a server channel does not connect");
  }

  @Override
  protected void doFinishConnect() {
    throw new UnsupportedOperationException("a server channel does not connect");
  }

  @Override
  protected void doDisconnect() {
    throw new UnsupportedOperationException("a server channel does not disconnect");
  }

  @Override
  protected boolean doWriteMessage(Object msg, ChannelOutboundBuffer in) {
    throw new UnsupportedOperationException("a server channel does not write");
  }

  /** The accept backlog and Netty's general options. */
  private final class Config extends DefaultChannelConfig {
    private volatile int backlog = NetUtil.SOMAXCONN;

    Config() {
      super(NioLocalServerChannel.this, new ServerChannelRecvByteBufAllocator());
    }

    @Override
    protected void autoReadCleared() {
      clearReadPending();
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
      return getOptions(super.getOptions(), ChannelOption.SO_BACKLOG);
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getOption(ChannelOption<T> option) {
      if (option == ChannelOption.SO_BACKLOG) {
        return (T) Integer.valueOf(backlog);
      }
      return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
      if (option != ChannelOption.SO_BACKLOG) {
        return super.setOption(option, value);
      }
      validate(option, value);
      int requested = (Integer) value;
      if (requested < 0) {
        throw new IllegalArgumentException("backlog " + requested + " is negative");
      }
      backlog = requested;
      return true;
    }
  }
}
