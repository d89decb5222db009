package io.bbipc.nio;

import io.bbipc.conformance.LocalChannelContract;
import io.netty.channel.Channel;
import io.netty.channel.DefaultSelectStrategyFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategy;
import io.netty.channel.SelectStrategyFactory;
import io.netty.channel.nio.AbstractNioChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DuplexChannel;
import java.lang.reflect.Method;
import java.nio.channels.SelectionKey;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** The local channel contract on bbipc's NIO channels ({@link NioLocalChannel}). */
class NioLocalChannelTest extends LocalChannelContract {
  private static Method selectionKeyMethod;

  @Override
  protected String transport() {
    return "nio";
  }

  /** A group whose select strategy counts the loop's turns. */
  @Override
  protected EventLoopGroup newLoopGroup(AtomicLong turns) {
    SelectStrategyFactory counting =
        () -> {
          SelectStrategy inner = DefaultSelectStrategyFactory.INSTANCE.newSelectStrategy();
          return (supplier, hasTasks) -> {
            turns.incrementAndGet();
            return inner.calculateStrategy(supplier, hasTasks);
          };
        };
    return new MultiThreadIoEventLoopGroup(
        1, NioIoHandler.newFactory(SelectorProvider.provider(), counting));
  }

  @Override
  protected DuplexChannel newChannel() {
    return new NioLocalChannel();
  }

  /** The selection key's interest set (test-only reflection into Netty). */
  @Override
  protected int interestOps(Channel ch) {
    try {
      if (selectionKeyMethod == null) {
        Method m = AbstractNioChannel.class.getDeclaredMethod("selectionKey");
        m.setAccessible(true);
        selectionKeyMethod = m;
      }
      return ch.eventLoop()
          .submit(() -> ((SelectionKey) selectionKeyMethod.invoke(ch)).interestOps())
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("cannot read the interest set of " + ch, e);
    }
  }

  @Override
  protected long work(Channel ch, AtomicLong turns) {
    return turns.get();
  }
}
