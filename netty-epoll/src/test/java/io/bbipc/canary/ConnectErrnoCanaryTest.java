package io.bbipc.canary;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.Errors;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Canary: Netty's native transports fail a connect with a plain {@link ConnectException} that keeps
 * the error number only in its text, {@code "(..) failed with error(<n>)"}, not with a {@code
 * NativeIoException} whose {@code expectedErr()} would give it. See docs/netty-workarounds.md,
 * section "A failed native connect keeps its errno only in the message".
 *
 * <p>The failure comes from {@code io.netty.channel.unix.Errors}, shared by epoll and io_uring; the
 * canary watches it through epoll's local connect, the case bbipc classifies. It fails in two ways:
 * when Netty hands the number over (bbipc's reading of the text can go), and when the number is no
 * longer where bbipc reads it (bbipc's classification would silently break).
 */
class ConnectErrnoCanaryTest {
  /** Linux's {@code ECONNREFUSED}, as Netty writes it (negated). */
  private static final String REFUSED_TEXT = "failed with error(-111)";

  private static final String FIXED =
      "Netty fixed its connect failures: the errno comes in a NativeIoException"
          + " (expectedErr()): delete the reading of the message text in"
          + " core/src/main/java/io/bbipc/spi/NativeTransportProvider.java (connectErrno's"
          + " message branch and NETTY_ERRNO); see docs/netty-workarounds.md";

  private static final String MOVED =
      "Netty changed its connect failures: the errno is neither in a NativeIoException nor in"
          + " the text \""
          + REFUSED_TEXT
          + "\" that core/src/main/java/io/bbipc/spi/NativeTransportProvider.java"
          + " (connectErrno) reads, so bbipc would classify a refused, denied or full-backlog"
          + " local connect wrongly: fix connectErrno; see docs/netty-workarounds.md";

  @TempDir Path dir;

  @BeforeEach
  void epollRuns() {
    Assumptions.assumeTrue(Epoll.isAvailable(), () -> "epoll: " + Epoll.unavailabilityCause());
  }

  @Test
  void aRefusedLocalConnectKeepsItsErrnoOnlyInTheText() throws Exception {
    // a socket file with nobody listening: the JDK leaves the file when its server closes
    Path stale = dir.resolve("stale.sock");
    try (ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      gone.bind(UnixDomainSocketAddress.of(stale));
    }
    assertTrue(Files.exists(stale), "the stale socket file is gone");

    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      Channel ch =
          new Bootstrap()
              .group(group)
              .channel(EpollDomainSocketChannel.class)
              .handler(new ChannelInboundHandlerAdapter())
              .register()
              .sync()
              .channel();
      ChannelFuture connect = ch.connect(new DomainSocketAddress(stale.toString()));
      assertTrue(connect.await(10, TimeUnit.SECONDS), "the connect did not end in 10 s");
      ch.close().await(10, TimeUnit.SECONDS);
      Throwable cause = connect.cause();
      assertNotNull(cause, "a connect to a socket nobody listens on succeeded");

      List<Throwable> chain = new ArrayList<>();
      for (Throwable t = cause; t != null && !chain.contains(t); t = t.getCause()) {
        chain.add(t);
      }
      for (Throwable t : chain) {
        if (t instanceof Errors.NativeIoException) {
          fail(
              FIXED
                  + " ("
                  + t
                  + ", expectedErr "
                  + ((Errors.NativeIoException) t).expectedErr()
                  + ")");
        }
      }
      for (Throwable t : chain) {
        if (t instanceof ConnectException
            && t.getMessage() != null
            && t.getMessage().contains(REFUSED_TEXT)) {
          return; // the defect: the number only in the text, where bbipc reads it
        }
      }
      fail(MOVED + " (the failure: " + chain + ")");
    } finally {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
  }
}
