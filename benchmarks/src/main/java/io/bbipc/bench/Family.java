package io.bbipc.bench;

/** The two kinds of connection every figure is given for. */
enum Family {
  TCP("TCP loopback"),
  LOCAL("local socket");

  final String label;

  Family(String label) {
    this.label = label;
  }

  static Family parse(String s) {
    return valueOf(s.toUpperCase(java.util.Locale.ROOT));
  }

  String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
