package io.bbipc.nio;

import io.bbipc.spi.TransportProvider;
import io.netty.channel.Channel;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The transport that runs everywhere: Netty's NIO, with the JDK's Unix domain sockets in bbipc's
 * own channels ({@link NioLocalChannel}) so that a local stream can be half-closed.
 */
public final class NioTransportProvider implements TransportProvider {
  /**
   * Public for {@link java.util.ServiceLoader}, and for bbipc's other packages, which fall back on
   * NIO.
   */
  public NioTransportProvider() {}

  @Override
  public String name() {
    return "nio";
  }

  @Override
  public int priority() {
    return 0;
  }

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public Throwable unavailabilityCause() {
    return null;
  }

  @Override
  public IoHandlerFactory ioHandlerFactory() {
    return NioIoHandler.newFactory();
  }

  @Override
  public Class<? extends IoHandler> ioHandlerType() {
    return NioIoHandler.class;
  }

  @Override
  public Class<? extends Channel> tcpChannelType() {
    return NioSocketChannel.class;
  }

  @Override
  public Class<? extends ServerChannel> tcpServerChannelType() {
    return NioServerSocketChannel.class;
  }

  @Override
  public Class<? extends Channel> localChannelType() {
    return NioLocalChannel.class;
  }

  @Override
  public Class<? extends ServerChannel> localServerChannelType() {
    return NioLocalServerChannel.class;
  }

  @Override
  public boolean localHalfClosure() {
    return true;
  }
}
