package io.bbipc.examples.selftest;

import io.bbipc.StreamServer;
import io.bbipc.StreamSocket;

/** Holds a server, a client connected to it and the accepted end. */
final class Pair {
  final StreamServer server;
  final StreamSocket client;
  final StreamSocket accepted;

  /** Makes a pair of the server and both ends of one connection to it. */
  Pair(StreamServer server, StreamSocket client, StreamSocket accepted) {
    this.server = server;
    this.client = client;
    this.accepted = accepted;
  }
}
