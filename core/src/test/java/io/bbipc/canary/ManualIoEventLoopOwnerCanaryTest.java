package io.bbipc.canary;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoRegistration;
import io.netty.channel.ManualIoEventLoop;
import org.junit.jupiter.api.Test;

/**
 * Canary: Netty's {@code ManualIoEventLoop} keeps the thread it was given as its owner for good, so
 * nobody can run (and so close) a loop whose owner has ended. This is Netty's design, not a defect;
 * it is why bbipc has its own caller-driven loop. See docs/netty-workarounds.md, section
 * "ManualIoEventLoop's owner is fixed for good".
 *
 * <p>The loop runs a handler that does nothing and holds no descriptor, so the test leaves nothing
 * behind: what it watches is the loop's ownership, which does not depend on the transport.
 */
class ManualIoEventLoopOwnerCanaryTest {
  private static final String CHANGED =
      "Netty changed ManualIoEventLoop: another thread can take over a loop whose owner has"
          + " ended: consider building core/src/main/java/io/bbipc/internal/CallerDrivenLoop.java"
          + " on it (its owner field and takeOverFromDeadOwner would go; its several-loops-per-owner"
          + " wait, interrupt hook and nested-run check stay); see docs/netty-workarounds.md";

  @Test
  void aLoopWhoseOwnerEndedCannotBeTakenOver() throws Exception {
    Thread owner = new Thread(() -> {}, "canary-owner");
    owner.start();
    owner.join(10_000);
    assertFalse(owner.isAlive(), "the owner thread did not end in 10 s");
    ManualIoEventLoop loop = new ManualIoEventLoop(owner, executor -> new NothingHandler());

    boolean reowned;
    try {
      loop.setOwningThread(Thread.currentThread());
      reowned = true;
    } catch (IllegalStateException ownerAlreadySet) {
      reowned = false;
    }
    boolean ranByAnother;
    try {
      loop.runNow();
      ranByAnother = true;
    } catch (IllegalStateException notTheOwner) {
      ranByAnother = false;
    }
    if (reowned || ranByAnother) {
      fail(
          CHANGED
              + " (setOwningThread accepted: "
              + reowned
              + ", runNow ran: "
              + ranByAnother
              + ")");
    }
  }

  /** An I/O handler with no I/O: it registers nothing and never blocks. */
  private static final class NothingHandler implements IoHandler {
    @Override
    public int run(IoHandlerContext context) {
      return 0;
    }

    @Override
    public IoRegistration register(IoHandle handle) {
      throw new UnsupportedOperationException("the canary registers nothing");
    }

    @Override
    public void wakeup() {}

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
      return false;
    }
  }
}
