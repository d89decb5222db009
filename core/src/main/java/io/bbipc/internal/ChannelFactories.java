package io.bbipc.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFactory;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;

/**
 * Makes channels of a class through its public no-argument constructor, looked up once per class.
 *
 * <p>Not Netty's {@code ReflectiveChannelFactory}: on the module path Netty may not call the
 * constructor of bbipc's own channels ({@link io.bbipc.nio.NioLocalChannel}), whose package is not
 * exported; bbipc's module may.
 */
final class ChannelFactories {
  private static final ClassValue<ChannelFactory<? extends Channel>> FACTORIES =
      new ClassValue<>() {
        @Override
        protected ChannelFactory<? extends Channel> computeValue(Class<?> type) {
          return factory(type.asSubclass(Channel.class));
        }
      };

  private ChannelFactories() {}

  @SuppressWarnings("unchecked")
  static <C extends Channel> ChannelFactory<C> of(Class<C> type) {
    return (ChannelFactory<C>) FACTORIES.get(type);
  }

  private static <C extends Channel> ChannelFactory<C> factory(Class<C> type) {
    Constructor<C> constructor;
    try {
      constructor = type.getConstructor();
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException(
          "channel class " + type.getName() + " has no public no-argument constructor", e);
    }
    return () -> {
      try {
        return constructor.newInstance();
      } catch (InvocationTargetException e) {
        throw new ChannelException("cannot make a " + type.getSimpleName(), e.getCause());
      } catch (ReflectiveOperationException e) {
        throw new ChannelException("cannot make a " + type.getSimpleName(), e);
      }
    };
  }
}
