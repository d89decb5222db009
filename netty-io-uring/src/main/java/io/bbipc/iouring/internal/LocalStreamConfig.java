package io.bbipc.iouring.internal;

import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.util.Map;

/** {@link IoUringLocalChannel}'s options: half-closure, the socket's buffer sizes, Netty's own. */
final class LocalStreamConfig extends DefaultChannelConfig {
  private final IoUringLocalChannel channel;
  private final Socket socket;
  private volatile boolean allowHalfClosure;

  /** What one gathering write offers: twice the send buffer, as Netty's channels start. */
  private volatile int maxBytesPerWrite;

  LocalStreamConfig(IoUringLocalChannel channel, Socket socket) {
    super(channel);
    this.channel = channel;
    this.socket = socket;
    sendBufferChanged();
  }

  boolean isAllowHalfClosure() {
    return allowHalfClosure;
  }

  int maxBytesPerWrite() {
    return maxBytesPerWrite;
  }

  private void sendBufferChanged() {
    int sendBuffer;
    try {
      sendBuffer = socket.getSendBufferSize();
    } catch (IOException unknown) {
      sendBuffer = 0;
    }
    maxBytesPerWrite = Math.max(64 * 1024, sendBuffer << 1);
  }

  @Override
  protected void autoReadCleared() {
    channel.autoReadCleared();
  }

  @Override
  public Map<ChannelOption<?>, Object> getOptions() {
    return getOptions(
        super.getOptions(),
        ChannelOption.ALLOW_HALF_CLOSURE,
        ChannelOption.SO_SNDBUF,
        ChannelOption.SO_RCVBUF);
  }

  @SuppressWarnings("unchecked")
  @Override
  public <T> T getOption(ChannelOption<T> option) {
    try {
      if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
        return (T) Boolean.valueOf(allowHalfClosure);
      }
      if (option == ChannelOption.SO_SNDBUF) {
        return (T) Integer.valueOf(socket.getSendBufferSize());
      }
      if (option == ChannelOption.SO_RCVBUF) {
        return (T) Integer.valueOf(socket.getReceiveBufferSize());
      }
    } catch (IOException e) {
      throw new ChannelException(e);
    }
    return super.getOption(option);
  }

  @Override
  public <T> boolean setOption(ChannelOption<T> option, T value) {
    validate(option, value);
    try {
      if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
        allowHalfClosure = (Boolean) value;
      } else if (option == ChannelOption.SO_SNDBUF) {
        socket.setSendBufferSize((Integer) value);
        sendBufferChanged();
      } else if (option == ChannelOption.SO_RCVBUF) {
        socket.setReceiveBufferSize((Integer) value);
      } else {
        return super.setOption(option, value);
      }
    } catch (IOException e) {
      throw new ChannelException(e);
    }
    return true;
  }
}
