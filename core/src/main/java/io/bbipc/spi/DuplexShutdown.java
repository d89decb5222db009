package io.bbipc.spi;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import java.util.function.Consumer;

/**
 * The half of a {@link DuplexChannel}'s shutdown methods that does not depend on its socket, for a
 * transport's own stream channels (bbipc's NIO and io_uring local channels use it).
 */
public final class DuplexShutdown {
  private DuplexShutdown() {}

  /**
   * Runs a task on the channel's event loop: at once when called there, else queued.
   *
   * @param channel the channel
   * @param task what to run
   */
  public static void onLoop(Channel channel, Runnable task) {
    if (channel.eventLoop().inEventLoop()) {
      task.run();
    } else {
      channel.eventLoop().execute(task);
    }
  }

  /**
   * Shuts the channel's output down, then its input, whatever the output's outcome; the output's
   * failure wins, as on Netty's channels.
   *
   * @param channel the channel
   * @param shutdownInputNow shuts the input down on the loop and completes the promise it is given
   * @param promise completed once both are done
   * @return {@code promise}
   */
  public static ChannelPromise both(
      DuplexChannel channel, Consumer<ChannelPromise> shutdownInputNow, ChannelPromise promise) {
    onLoop(
        channel,
        () ->
            channel
                .shutdownOutput()
                .addListener(
                    output -> {
                      ChannelPromise input = channel.newPromise();
                      shutdownInputNow.accept(input);
                      Throwable cause = output.isSuccess() ? input.cause() : output.cause();
                      if (cause == null) {
                        promise.trySuccess();
                      } else {
                        promise.tryFailure(cause);
                      }
                    }));
    return promise;
  }
}
