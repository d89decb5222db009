package io.bbipc.internal.address;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Linux abstract socket names, shown as paths with a leading {@code @} as ss(8) shows them. */
public final class AbstractNames {
  /** sun_path's 108 bytes less the leading NUL that marks a name abstract. */
  private static final int MAX_NAME_BYTES = 107;

  private AbstractNames() {}

  /** Validates a name before any I/O and returns the path the sockets will report. */
  public static Path check(String name) {
    if (name == null) {
      throw new NullPointerException("name");
    }
    int bytes = name.getBytes(StandardCharsets.UTF_8).length;
    if (bytes == 0 || bytes > MAX_NAME_BYTES) {
      throw new IllegalArgumentException(
          "abstract socket name is "
              + bytes
              + " bytes long; it must be 1 to "
              + MAX_NAME_BYTES
              + " bytes: \""
              + name
              + "\"");
    }
    if (name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "abstract socket name must not contain NUL: \"" + name.replace("\0", "\\0") + "\"");
    }
    return Path.of("@" + name);
  }
}
