package io.bbipc.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/** Asks JDK 21's {@code Thread.isVirtual()} where it exists; the build targets JDK 17. */
public final class Threads {
  private static final MethodHandle IS_VIRTUAL = isVirtualHandle();

  private Threads() {}

  private static MethodHandle isVirtualHandle() {
    try {
      return MethodHandles.publicLookup()
          .findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
    } catch (NoSuchMethodException | IllegalAccessException beforeJdk21) {
      return null;
    }
  }

  /**
   * Tells whether a thread is virtual.
   *
   * @param thread the thread
   * @return false on a JDK without virtual threads
   */
  public static boolean isVirtual(Thread thread) {
    if (IS_VIRTUAL == null) {
      return false;
    }
    try {
      return (boolean) IS_VIRTUAL.invokeExact(thread);
    } catch (Throwable impossible) {
      throw new AssertionError(impossible);
    }
  }
}
