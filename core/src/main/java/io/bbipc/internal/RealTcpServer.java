package io.bbipc.internal;

import io.bbipc.IpcException;
import io.bbipc.Ipv4TcpServer;
import io.bbipc.Ipv4TcpStream;
import io.bbipc.ServerOptions;
import java.net.InetSocketAddress;

/** A TCP server bound to an IPv4 address. */
final class RealIpv4TcpServer extends RealServer<RealIpv4TcpStream> implements Ipv4TcpServer {
  private final String hostAddress;
  private volatile int port;

  RealIpv4TcpServer(IpcRuntime runtime, String hostAddress, ServerOptions options) {
    super(runtime, options);
    this.hostAddress = hostAddress;
  }

  void bound() {
    port = ((InetSocketAddress) channel.localAddress()).getPort();
  }

  @Override
  public String hostAddress() {
    return hostAddress;
  }

  @Override
  public int port() {
    return port;
  }

  @Override
  public Ipv4TcpStream acceptConnection() throws IpcException {
    return take();
  }

  @Override
  public String toString() {
    return "Ipv4TcpServer[" + hostAddress + ":" + port + "]";
  }
}
