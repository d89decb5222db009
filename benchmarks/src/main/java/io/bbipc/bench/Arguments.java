package io.bbipc.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import joptsimple.BuiltinHelpFormatter;
import joptsimple.OptionException;
import joptsimple.OptionParser;
import joptsimple.OptionSet;
import joptsimple.OptionSpec;
import joptsimple.ValueConversionException;
import joptsimple.ValueConverter;

/**
 * {@link Report}'s command line, parsed by jopt-simple. Every value is checked here, before the run
 * makes a directory or starts a measurement, and an error names the value it refuses.
 */
final class Arguments {
  /**
   * The option that makes this JVM the pinned latency pass's child; only {@link Report} gives it.
   */
  static final String PINNED_PASS = "pinned-pass";

  /** {@code --help}: print the options, run nothing. */
  final boolean help;

  final boolean smoke;
  final boolean pin;

  /**
   * Where the report goes; null for the default (docs/, or a fresh temporary directory when smoke).
   */
  final Path out;

  /** Only in the pinned child: the file its latency rows go to. */
  final Path pinnedPassFile;

  /** The transports asked for; null for every available one. */
  final List<String> transports;

  final List<String> only;

  private Arguments(
      boolean help,
      boolean smoke,
      boolean pin,
      Path out,
      Path pinnedPassFile,
      List<String> transports,
      List<String> only) {
    this.help = help;
    this.smoke = smoke;
    this.pin = pin;
    this.out = out;
    this.pinnedPassFile = pinnedPassFile;
    this.transports = transports;
    this.only = only;
  }

  /**
   * Parses {@code argv}. {@code knownTransports} are the names of every transport on the class
   * path, available or not: one of them that is not available here is left out of the run with a
   * note, as before, while a name none of them has is a mistake and refused.
   *
   * @throws IllegalArgumentException with a message that names the bad argument or value
   */
  static Arguments parse(List<String> knownTransports, String... argv) {
    Options o = new Options(knownTransports);
    refuseFlagValues(o, argv);
    try {
      OptionSet set = o.parser.parse(argv);
      if (!set.nonOptionArguments().isEmpty()) {
        throw new IllegalArgumentException(
            "unexpected argument \""
                + set.nonOptionArguments().get(0)
                + "\": every option starts with --");
      }
      return new Arguments(
          set.has(o.help),
          set.has(o.smoke),
          !set.has(o.noPin),
          set.valueOf(o.out),
          set.valueOf(o.pinnedPass),
          set.has(o.transports) ? distinct(set.valuesOf(o.transports)) : null,
          set.has(o.only) ? distinct(set.valuesOf(o.only)) : Report.PARTS);
    } catch (OptionException e) {
      // a converter's own message names the value and what was expected; jopt-simple's wrapper
      // says only that it could not be parsed
      Throwable cause = e.getCause();
      throw new IllegalArgumentException(
          cause instanceof ValueConversionException ? cause.getMessage() : e.getMessage(), e);
    }
  }

  /**
   * jopt-simple drops a value given to an option that takes none, so "--smoke=false" would run a
   * smoke run; refused instead.
   */
  private static void refuseFlagValues(Options o, String[] argv) {
    for (String a : argv) {
      if (a.equals("--")) {
        return;
      }
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 2) {
        String name = a.substring(2, eq);
        if (o.flags.stream().anyMatch(f -> f.options().contains(name))) {
          throw new IllegalArgumentException(
              "--" + name + " takes no value, not \"" + a.substring(eq + 1) + "\"");
        }
      }
    }
  }

  /** Prints every option with what it does. */
  static void printHelp(List<String> knownTransports, OutputStream out) throws IOException {
    out.write(
        "java -jar benchmarks/target/bbipc-benchmarks.jar [options]\n\n"
            .getBytes(StandardCharsets.UTF_8));
    new Options(knownTransports).parser.printHelpOn(out);
  }

  /** What the pinned child needs to measure what this run measures. */
  List<String> passOn() {
    List<String> l = new ArrayList<>();
    if (smoke) {
      l.add("--smoke");
    }
    if (transports != null) {
      l.add("--transports");
      l.add(String.join(",", transports));
    }
    return l;
  }

  private static List<String> distinct(List<String> values) {
    return values.stream().distinct().toList();
  }

  /** The parser and its options, made alike for parsing and for help. */
  private static final class Options {
    // no abbreviations: "--o" would be --only or --out, and a run must not guess
    final OptionParser parser = new OptionParser(false);
    final OptionSpec<Void> help = parser.accepts("help", "print these options and exit").forHelp();
    final OptionSpec<Void> smoke =
        parser.accepts(
            "smoke",
            "every measurement at tiny sizes, in seconds: proves the harness runs, the figures mean nothing");
    final OptionSpec<Void> noPin =
        parser.accepts("no-pin", "skip the latency pass pinned to one CPU (under taskset -c 0)");
    final List<OptionSpec<Void>> flags = List.of(help, smoke, noPin);
    final OptionSpec<Path> out;
    final OptionSpec<String> transports;
    final OptionSpec<String> only;
    final OptionSpec<Path> pinnedPass;

    Options(List<String> knownTransports) {
      parser.formatHelpWith(new BuiltinHelpFormatter(100, 2));
      out =
          parser
              .accepts(
                  "out",
                  "directory for benchmarks.md and benchmarks.svg (default: docs/ under the "
                      + "working directory; with --smoke, a fresh temporary directory)")
              .withRequiredArg()
              .describedAs("DIR")
              .withValuesConvertedBy(new Directory());
      transports =
          parser
              .accepts(
                  "transports",
                  "measure only these transports (found here: "
                      + String.join(", ", knownTransports)
                      + "); one not available on this machine is left out, with a "
                      + "note in the report (default: every available one)")
              .withRequiredArg()
              .describedAs("a,b")
              .withValuesSeparatedBy(',')
              .withValuesConvertedBy(new OneOf("--transports", "transport", knownTransports));
      only =
          parser
              .accepts("only", "run only these measurements (default: all)")
              .withRequiredArg()
              .describedAs(String.join(",", Report.PARTS))
              .withValuesSeparatedBy(',')
              .withValuesConvertedBy(new OneOf("--only", "measurement", Report.PARTS));
      pinnedPass =
          parser
              .accepts(
                  PINNED_PASS,
                  "internal: the run starts its pinned latency pass with this; "
                      + "the pass writes its rows to FILE")
              .withRequiredArg()
              .describedAs("FILE")
              .withValuesConvertedBy(new AnyPath("--" + PINNED_PASS));
    }
  }

  /** A value from a fixed list. */
  private static final class OneOf implements ValueConverter<String> {
    private final String option;
    private final String what;
    private final List<String> allowed;

    OneOf(String option, String what, List<String> allowed) {
      this.option = option;
      this.what = what;
      this.allowed = allowed;
    }

    @Override
    public String convert(String value) {
      if (!allowed.contains(value)) {
        throw new ValueConversionException(
            option
                + ": no "
                + what
                + " is called \""
                + value
                + "\"; "
                + String.join(", ", allowed)
                + " are");
      }
      return value;
    }

    @Override
    public Class<? extends String> valueType() {
      return String.class;
    }

    @Override
    public String valuePattern() {
      return null;
    }
  }

  /** A path the file system would accept. */
  private static class AnyPath implements ValueConverter<Path> {
    final String option;

    AnyPath(String option) {
      this.option = option;
    }

    @Override
    public Path convert(String value) {
      try {
        return Path.of(value);
      } catch (InvalidPathException e) {
        throw new ValueConversionException(
            option + ": \"" + value + "\" is not a path: " + e.getReason(), e);
      }
    }

    @Override
    public Class<? extends Path> valueType() {
      return Path.class;
    }

    @Override
    public String valuePattern() {
      return null;
    }
  }

  /** A directory, or a path where one can be made: not an existing file. */
  private static final class Directory extends AnyPath {
    Directory() {
      super("--out");
    }

    @Override
    public Path convert(String value) {
      Path p = super.convert(value);
      // caught here it is a bad argument, named as one; left to Files.createDirectories, a stack
      // trace
      if (Files.exists(p) && !Files.isDirectory(p)) {
        throw new ValueConversionException(
            option + ": \"" + value + "\" is a file, not a directory");
      }
      return p;
    }
  }
}
