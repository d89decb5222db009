package io.bbipc.internal;

import io.bbipc.internal.address.Addresses;
import io.bbipc.internal.address.SocketFiles;
import io.netty.channel.Channel;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * bbipc's JFR events. Every one is disabled unless a recording enables it, and then costs one
 * allocation that the JIT removes while it is disabled; each names the socket's kind, transport and
 * addresses.
 */
final class StreamEvents {
  private StreamEvents() {}

  /** The fields every event has. */
  @Category({"bbipc"})
  @Enabled(false)
  @StackTrace(false)
  abstract static class SocketEvent extends Event {
    @Label("Kind")
    @Description("TCP (IPv4), TCP6 or local")
    String kind;

    @Label("Transport")
    String transport;

    @Label("Local Address")
    String localAddress;

    @Label("Remote Address")
    String remoteAddress;
  }

  @Name("io.bbipc.Connect")
  @Label("Connect")
  @Description("A connecting stream's attempt ended: connected, or failed with a cause")
  static final class Connect extends SocketEvent {
    @Label("Succeeded")
    boolean succeeded;

    @Label("Cause")
    String cause;
  }

  @Name("io.bbipc.Accept")
  @Label("Accept")
  @Description("A server accepted a connection and admitted it")
  static final class Accept extends SocketEvent {}

  @Name("io.bbipc.RemoteDisconnect")
  @Label("Remote Disconnect")
  @Description("The peer ended the connection: how it did")
  static final class RemoteDisconnect extends SocketEvent {
    @Label("How")
    String how;
  }

  @Name("io.bbipc.ReadPaused")
  @Label("Read Paused")
  @Description(
      "A stream stopped reading at its inbound limit until its reader drained it, a reset"
          + " needed the rest read, or the stream was closed; the event's duration is how long")
  static final class ReadPaused extends SocketEvent {
    @Label("Buffered At Pause")
    @DataAmount
    long bufferedAtPause;

    @Label("Buffered At Resume")
    @DataAmount
    long bufferedAtResume;

    @Label("Resumed Because")
    String resumedBecause;
  }

  @Name("io.bbipc.Close")
  @Label("Close")
  @Description("The application closed a stream or server")
  static final class Close extends SocketEvent {
    @Label("Bytes Read")
    @DataAmount
    long bytesRead;

    @Label("Bytes Written")
    @DataAmount
    long bytesWritten;
  }

  static void connected(RealStream s, Throwable cause) {
    Connect e = new Connect();
    if (e.isEnabled()) {
      describe(e, s.runtime, s.channel, "stream");
      e.succeeded = cause == null;
      e.cause = cause == null ? null : String.valueOf(cause);
      e.commit();
    }
  }

  static void accepted(RealStream s) {
    Accept e = new Accept();
    if (e.isEnabled()) {
      describe(e, s.runtime, s.channel, "stream");
      e.commit();
    }
  }

  static void remoteDisconnected(RealStream s, String how) {
    RemoteDisconnect e = new RemoteDisconnect();
    if (e.isEnabled()) {
      describe(e, s.runtime, s.channel, "stream");
      e.how = how;
      e.commit();
    }
  }

  /** Starts a pause's event; null when no recording wants it. */
  static ReadPaused paused(RealStream s, long buffered) {
    ReadPaused e = new ReadPaused();
    if (!e.isEnabled()) {
      return null;
    }
    e.begin();
    describe(e, s.runtime, s.channel, "stream");
    e.bufferedAtPause = buffered;
    return e;
  }

  /** Ends a pause's event and commits it; returns null, the pause under way from now. */
  static ReadPaused resumed(ReadPaused e, String why, long buffered) {
    if (e != null) {
      e.end();
      e.resumedBecause = why;
      e.bufferedAtResume = buffered;
      if (e.shouldCommit()) {
        e.commit();
      }
    }
    return null;
  }

  static void closed(
      AbstractSocket socket, Channel channel, String what, long bytesRead, long bytesWritten) {
    Close e = new Close();
    if (e.isEnabled()) {
      describe(e, socket.runtime, channel, what);
      e.bytesRead = bytesRead;
      e.bytesWritten = bytesWritten;
      e.commit();
    }
  }

  private static void describe(SocketEvent e, IpcRuntime runtime, Channel channel, String what) {
    e.transport = runtime.transportName();
    SocketAddress local = channel == null ? null : channel.localAddress();
    SocketAddress remote = channel == null ? null : channel.remoteAddress();
    SocketAddress any = local != null ? local : remote;
    String kind =
        !(any instanceof InetSocketAddress)
            ? "local"
            : ((InetSocketAddress) any).getAddress() instanceof Inet6Address ? "TCP6" : "TCP";
    e.kind = what.equals("stream") ? kind : kind + " " + what;
    e.localAddress = text(local);
    e.remoteAddress = text(remote);
  }

  private static String text(SocketAddress address) {
    if (address == null) {
      return null;
    }
    if (address instanceof InetSocketAddress) {
      InetSocketAddress inet = (InetSocketAddress) address;
      String host =
          inet.getAddress() == null
              ? inet.getHostString()
              : inet.getAddress() instanceof Inet6Address
                  ? "[" + Addresses.ipv6HostAddress(inet) + "]"
                  : inet.getAddress().getHostAddress();
      return host + ":" + inet.getPort();
    }
    java.nio.file.Path path = SocketFiles.pathOf(address);
    return path != null ? path.toString() : address.toString();
  }
}
