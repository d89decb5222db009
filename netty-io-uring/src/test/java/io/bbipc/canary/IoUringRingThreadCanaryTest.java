package io.bbipc.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.channel.IoHandler;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Canary: Netty's io_uring handler registers its ring with the thread that initialises it ({@code
 * IORING_REGISTER_RING_FDS}), and the kernel refuses that ring to any other thread, even for a ring
 * not tied to a single issuer; so no other thread can close a caller-driven io_uring runtime whose
 * owner ended. This follows Netty's rule that a handler runs on its executor's one thread; it is
 * not a defect. See docs/netty-workarounds.md, section "An io_uring ring is bound to the thread
 * that enabled it".
 *
 * <p>The handler is initialised on a thread the test keeps alive, so that it can be destroyed there
 * afterwards and no ring is left behind. Skipped, with Netty's reason, where io_uring cannot run.
 */
class IoUringRingThreadCanaryTest {
  private static final String CHANGED =
      "Netty changed its io_uring handler: another thread than the one that initialised it can"
          + " run and destroy it: IoUringTransportProvider.loopRunsOnAnyThread() can return true"
          + " (netty-io-uring/src/main/java/io/bbipc/iouring/IoUringTransportProvider.java), and"
          + " IpcRuntime.closeIfOrphaned's exception for such transports, and the README's and"
          + " architecture.md's words on orphaned io_uring runtimes, can go; see"
          + " docs/netty-workarounds.md";

  @Test
  void anotherThreadCannotDestroyAnIoUringHandler() throws Exception {
    Assumptions.assumeTrue(
        IoUring.isAvailable(), () -> "io_uring: " + IoUring.unavailabilityCause());
    // as bbipc makes its ring: not tied to a single issuer
    IoHandler handler =
        IoUringIoHandler.newFactory(new IoUringIoHandlerConfig().setSingleIssuer(false))
            .newHandler(new AnyThread());
    ExecutorService home = Executors.newSingleThreadExecutor(r -> new Thread(r, "canary-ring"));
    try {
      home.submit(handler::initialize).get(10, TimeUnit.SECONDS);
      Throwable refused = null;
      try {
        handler.prepareToDestroy();
        handler.destroy();
      } catch (RuntimeException e) {
        refused = e;
      }
      if (refused == null) {
        fail(CHANGED);
      }
      // the defect's other half: the initialising thread still can, so nothing is left behind
      Object atHome =
          home.submit(
                  () -> {
                    handler.prepareToDestroy();
                    handler.destroy();
                    return "destroyed";
                  })
              .get(10, TimeUnit.SECONDS);
      assertEquals("destroyed", atHome, "after another thread was refused with " + refused);
    } finally {
      home.shutdown();
      home.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** An executor every thread counts as the thread of, as a loop handed to a new owner would be. */
  private static final class AnyThread implements ThreadAwareExecutor {
    @Override
    public boolean isExecutorThread(Thread thread) {
      return true;
    }

    @Override
    public void execute(Runnable task) {
      task.run();
    }
  }
}
