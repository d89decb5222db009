package io.bbipc.netty;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.StreamSocket;
import io.bbipc.internal.ChannelAdoption;
import io.bbipc.internal.IpcRuntime;
import io.bbipc.internal.Transports;
import io.bbipc.nio.NioTransportProvider;
import io.bbipc.spi.TransportProvider;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.util.Objects;

/** Hands channels that a Netty application made itself to plain code, as bbipc streams. */
public final class NettyIpc {
  private NettyIpc() {}

  /**
   * Makes a bbipc stream of a connected channel by putting bbipc's buffering handler last in its
   * pipeline; the application's own handlers stay and keep working, and bytes they pass on from now
   * on wait in the stream's buffer.
   *
   * <p>The stream is an {@link io.bbipc.Ipv6TcpStream} for a TCP channel whose addresses are IPv6
   * ones, an {@link io.bbipc.Ipv4TcpStream} for any other TCP channel (IPv4, IPv4-mapped, or not
   * yet connected, which has no address to tell by; one that then connects over IPv6 reports its
   * addresses in IPv6 text), and an {@link io.bbipc.LocalStream} for a Unix domain channel. It
   * buffers at most {@link Ipc#DEFAULT_BUFFER_LIMIT} received bytes; what {@code writeToStream}
   * accepts is bounded by the channel's own write-buffer water mark, which bbipc leaves as the
   * application set it. Closing the stream closes the channel.
   *
   * @param channel a registered, usually active, stream channel that is not yet a bbipc stream
   * @return the stream, connected if the channel is active
   * @throws IllegalArgumentException if the channel is not registered, is a server channel, or is
   *     already a bbipc stream
   */
  public static StreamSocket adopt(Channel channel) {
    Objects.requireNonNull(channel, "channel");
    if (!channel.isRegistered()) {
      throw new IllegalArgumentException(
          "channel " + channel + " is not registered with an event loop");
    }
    EventLoopGroup group = channel.eventLoop().parent();
    TransportProvider transport;
    try {
      transport = Transports.forGroup(group);
    } catch (IllegalArgumentException unknownGroup) {
      // a group bbipc does not know still runs the channel; only peer credentials are lost
      transport = new NioTransportProvider();
    }
    IpcRuntime runtime =
        IpcRuntime.borrow(
            transport,
            group,
            Ipc.DEFAULT_BUFFER_LIMIT,
            Ipc.DEFAULT_BUFFER_LIMIT,
            p -> {},
            Ipc.DEFAULT_CONNECT_TIMEOUT_MILLIS);
    try {
      return ChannelAdoption.adopt(runtime, channel);
    } catch (IpcException impossible) {
      // a runtime made here cannot be closed yet
      throw new IllegalStateException(impossible);
    }
  }
}
