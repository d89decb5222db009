package io.bbipc.examples.selftest;

import io.bbipc.Ipc;
import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv6TcpServer;
import io.bbipc.LocalServer;
import io.bbipc.ServerOptions;
import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;
import io.bbipc.spi.TransportProvider;
import java.nio.file.Path;

/** Stands for one transport and one kind of socket: a row of the table. */
final class Row {
  final TransportProvider transport;
  final Ipc ipc;
  final Kind kind;
  final Context context;

  /** Makes the row of a transport, its runtime and a kind of socket, in a run's context. */
  Row(TransportProvider transport, Ipc ipc, Kind kind, Context context) {
    this.transport = transport;
    this.ipc = ipc;
    this.kind = kind;
    this.context = context;
  }

  /** Returns a new server of the row's kind on the loopback address, a new path or a new name. */
  StreamServer listen() throws IpcException {
    switch (kind) {
      case TCP:
        return ipc.makeIpv4TcpServer(kind.loopback, 0);
      case TCP6:
        return ipc.makeIpv6TcpServer(kind.loopback, 0);
      case LOCAL:
        return ipc.makeLocalServer(newPath("s"));
      default:
        return ipc.makeAbstractLocalServer(newName(), ServerOptions.defaults());
    }
  }

  /** Returns a new stream connecting to a server that {@link #listen} made. */
  StreamSocket connect(StreamServer server) throws IpcException {
    switch (kind) {
      case TCP:
        return connect(((Ipv4TcpServer) server).port());
      case TCP6:
        return connect(((Ipv6TcpServer) server).port());
      case LOCAL:
        return ipc.connectToLocalServer(((LocalServer) server).localPathname());
      default:
        // An abstract server reports its name as the path "@name".
        return ipc.connectToAbstractLocalServer(
            ((LocalServer) server).localPathname().toString().substring(1));
    }
  }

  /** Returns a TCP stream connecting to a port on the row's loopback address. */
  StreamSocket connect(int port) throws IpcException {
    return kind == Kind.TCP6
        ? ipc.connectToIpv6TcpServer(kind.loopback, port)
        : ipc.connectToIpv4TcpServer(kind.loopback, port);
  }

  /** Returns a path no one has used, short enough for any system's limit on socket paths. */
  Path newPath(String stem) {
    if (context.scratch.path == null) {
      throw new IllegalStateException("there is no temporary directory");
    }
    return context.scratch.path.resolve(stem + context.names.incrementAndGet() + ".sock");
  }

  /** Returns an abstract name no one has used. */
  String newName() {
    return context.abstractPrefix + context.names.incrementAndGet();
  }
}
