package io.bbipc.examples.selftest;

/** Names the kinds of socket the selftest tries, one row each per transport. */
enum Kind {
  TCP("tcp", "127.0.0.1"),
  TCP6("tcp6", "::1"),
  LOCAL("local", null),
  ABSTRACT("abstract", null);

  /** How the table names the kind. */
  final String label;

  /** The loopback address of a TCP kind, null for the others. */
  final String loopback;

  /** Makes a kind with its label and, for TCP, its loopback address. */
  Kind(String label, String loopback) {
    this.label = label;
    this.loopback = loopback;
  }

  /** Returns whether this kind is TCP. */
  boolean isTcp() {
    return loopback != null;
  }

  /** Returns a port on this TCP kind's loopback address as text. */
  String where(int port) {
    return (this == TCP6 ? "[" + loopback + "]" : loopback) + ":" + port;
  }
}
