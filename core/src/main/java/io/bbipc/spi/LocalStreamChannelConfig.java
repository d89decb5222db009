package io.bbipc.spi;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import java.io.IOException;
import java.util.Map;

/**
 * The options of a transport's own local (Unix domain) stream channel: {@link
 * ChannelOption#ALLOW_HALF_CLOSURE}, the socket's {@link ChannelOption#SO_SNDBUF} and {@link
 * ChannelOption#SO_RCVBUF}, and Netty's general ones; bbipc's NIO and io_uring local channels both
 * use it.
 *
 * <p>A subclass reads and sets the two buffer sizes on its socket, and calls {@link
 * #sendBufferChanged()} once its socket is set (at the end of its constructor), so that {@link
 * #maxBytesPerWrite()} follows the socket's send buffer from the start.
 */
public abstract class LocalStreamChannelConfig extends DefaultChannelConfig {
  private static final int MIN_BYTES_PER_WRITE = 64 * 1024;

  private volatile boolean allowHalfClosure;
  private volatile int maxBytesPerWrite = MIN_BYTES_PER_WRITE;

  /**
   * Creates the options of a channel, half-closure not allowed.
   *
   * @param channel the channel whose options these are
   */
  protected LocalStreamChannelConfig(Channel channel) {
    super(channel);
  }

  /**
   * Reads one of the socket's buffer sizes.
   *
   * @param option {@link ChannelOption#SO_SNDBUF} or {@link ChannelOption#SO_RCVBUF}
   * @return the size in bytes
   * @throws IOException if the socket cannot tell (it is closed, say)
   */
  protected abstract int bufferSize(ChannelOption<Integer> option) throws IOException;

  /**
   * Sets one of the socket's buffer sizes.
   *
   * @param option {@link ChannelOption#SO_SNDBUF} or {@link ChannelOption#SO_RCVBUF}
   * @param bytes the size asked for
   * @throws IOException if the socket refuses
   */
  protected abstract void setBufferSize(ChannelOption<Integer> option, int bytes)
      throws IOException;

  /**
   * Tells whether the channel may stay open for writing after the peer's end-of-stream; set with
   * {@link ChannelOption#ALLOW_HALF_CLOSURE}.
   *
   * @return false until the option is set
   */
  public boolean isAllowHalfClosure() {
    return allowHalfClosure;
  }

  /**
   * Returns what one gathering write may offer the socket: twice its send buffer, and at least 64
   * KiB, as Netty's own channels start.
   *
   * @return the bytes
   */
  public int maxBytesPerWrite() {
    return maxBytesPerWrite;
  }

  /**
   * Reads the socket's send buffer again for {@link #maxBytesPerWrite()}; a socket that cannot tell
   * leaves it at 64 KiB.
   */
  protected final void sendBufferChanged() {
    int sendBuffer;
    try {
      sendBuffer = bufferSize(ChannelOption.SO_SNDBUF);
    } catch (IOException | RuntimeException unknown) {
      sendBuffer = 0;
    }
    maxBytesPerWrite = Math.max(MIN_BYTES_PER_WRITE, sendBuffer << 1);
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
    if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
      return (T) Boolean.valueOf(allowHalfClosure);
    }
    if (option == ChannelOption.SO_SNDBUF || option == ChannelOption.SO_RCVBUF) {
      try {
        return (T) Integer.valueOf(bufferSize((ChannelOption<Integer>) option));
      } catch (IOException e) {
        throw new ChannelException(e);
      }
    }
    return super.getOption(option);
  }

  @SuppressWarnings("unchecked")
  @Override
  public <T> boolean setOption(ChannelOption<T> option, T value) {
    validate(option, value);
    if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
      allowHalfClosure = (Boolean) value;
    } else if (option == ChannelOption.SO_SNDBUF || option == ChannelOption.SO_RCVBUF) {
      try {
        setBufferSize((ChannelOption<Integer>) option, (Integer) value);
      } catch (IOException e) {
        throw new ChannelException(e);
      }
      if (option == ChannelOption.SO_SNDBUF) {
        sendBufferChanged();
      }
    } else {
      return super.setOption(option, value);
    }
    return true;
  }
}
