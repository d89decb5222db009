package io.bbipc.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Canary: Netty's io_uring native library jar for {@code linux-aarch_64} declares the module name
 * of the {@code linux-x86_64} jar ({@code io.netty.transport.io_uring.linux.x86_64}), so on the
 * module path the two cannot both be present: the one found first shadows the other. See
 * docs/netty-workarounds.md, section "The aarch_64 io_uring jar is named as the x86_64 one".
 *
 * <p>It reads the module declarations of the io_uring native jars on this module's test class path
 * (the pom lists both platforms), and loads no native code, so it runs on every machine.
 */
class IoUringNativeModuleNameCanaryTest {
  private static final String NATIVE_JAR_MARKER =
      "META-INF/maven/io.netty/netty-transport-native-io_uring/pom.properties";

  private static final String FIXED =
      "Netty fixed the module name of its linux-aarch_64 io_uring native jar: .ci/run may keep"
          + " every platform's native jar on the module path (its comment on the aarch_64 jar"
          + " shadowing the x86_64 one, and the branch that leaves the other platforms' jars out,"
          + " can go); see docs/netty-workarounds.md";

  @Test
  void theAarch64JarDeclaresTheX8664ModuleName() throws Exception {
    Map<String, String> moduleByPlatform = new TreeMap<>();
    for (URL marker :
        Collections.list(getClass().getClassLoader().getResources(NATIVE_JAR_MARKER))) {
      JarURLConnection jar = (JarURLConnection) marker.openConnection();
      jar.setUseCaches(false);
      Path file = Path.of(jar.getJarFileURL().toURI());
      moduleByPlatform.put(platformOf(file), moduleNameOf(file));
    }
    assertTrue(
        moduleByPlatform.containsKey("aarch_64") && moduleByPlatform.containsKey("x86_64"),
        "both io_uring native jars (linux-x86_64, linux-aarch_64) should be on the test class path"
            + " (netty-io-uring's pom lists them); found: "
            + moduleByPlatform);
    String aarch64 = moduleByPlatform.get("aarch_64");
    if (aarch64.equals("io.netty.transport.io_uring.linux.aarch_64")) {
      fail(FIXED + " (" + moduleByPlatform + ")");
    }
    assertEquals(
        "io.netty.transport.io_uring.linux.x86_64",
        aarch64,
        "Netty renamed its io_uring native modules; check .ci/run: " + moduleByPlatform);
  }

  /** The CPU the jar's native library is built for, from the library's file name. */
  private static String platformOf(Path jar) throws IOException {
    try (JarFile file = new JarFile(jar.toFile())) {
      String libraries =
          file.stream()
              .map(e -> e.getName())
              .filter(n -> n.startsWith("META-INF/native/") && n.endsWith(".so"))
              .collect(Collectors.joining(","));
      if (libraries.contains("aarch_64")) {
        return "aarch_64";
      }
      if (libraries.contains("x86_64")) {
        return "x86_64";
      }
      return "other: " + libraries;
    }
  }

  /** The module the jar declares (its multi-release module-info), as the module path sees it. */
  private static String moduleNameOf(Path jar) {
    return ModuleFinder.of(jar).findAll().stream()
        .map(ModuleReference::descriptor)
        .map(d -> d.name())
        .collect(Collectors.joining(","));
  }
}
