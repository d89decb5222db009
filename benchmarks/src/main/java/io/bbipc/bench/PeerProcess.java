package io.bbipc.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The far ends of many idle connections, in a process of their own, so the measuring JVM holds only
 * one descriptor per connection: both ends of 10,000 connections in one JVM need more than the
 * 20,000 descriptors this machine's limit allows.
 *
 * <p>Arguments: host, port, how many to connect, how many of them write one byte. Prints {@code
 * connected N} once done, then holds the connections until its standard input closes, so it also
 * goes when its parent dies.
 */
final class PeerProcess {
  private PeerProcess() {}

  public static void main(String[] args) throws IOException {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int count = Integer.parseInt(args[2]);
    int ready = Integer.parseInt(args[3]);
    PrintStream out = System.out;
    List<SocketChannel> channels = new ArrayList<>(count);
    InetSocketAddress address = new InetSocketAddress(host, port);
    try {
      for (int i = 0; i < count; i++) {
        channels.add(SocketChannel.open(address));
      }
      for (int i = 0; i < ready && i < count; i++) {
        channels.get(i).write(ByteBuffer.wrap(new byte[] {42}));
      }
      out.println("connected " + channels.size());
      out.flush();
      InputStream in = System.in;
      while (in.read() >= 0) {
        // nothing is ever sent: end of input is the signal to go
      }
    } catch (IOException e) {
      out.println("failed after " + channels.size() + " connections: " + e);
      out.flush();
    } finally {
      for (SocketChannel c : channels) {
        try {
          c.close();
        } catch (IOException ignored) {
          // the process is ending; the kernel closes whatever is left
        }
      }
    }
  }
}
