package io.bbipc.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the JMH benchmarks (streaming throughput and waitForEvents) through JMH's Runner API: one
 * forked JVM per parameter combination in the full run, in-process for the smoke run. JMH's own
 * output goes to a log file; a combination that failed has no result and is reported with the log's
 * first error line.
 */
final class JmhRuns {
  private static final double GIB = 1024.0 * 1024 * 1024;

  private JmhRuns() {}

  static List<Results.ThroughputRow> throughput(
      Settings settings, List<String> transports, Path logDir, Progress progress) {
    Path log = logDir.resolve("jmh-throughput.log");
    Path jdkLog = logDir.resolve("jmh-throughput-jdk.log");
    List<Results.ThroughputRow> rows = new ArrayList<>();
    List<String> systems =
        List.of(
            Sys.BBIPC_SYNC.key(),
            Sys.BBIPC_SYNC_CALLER.key(),
            Sys.BBIPC_ASYNC.key(),
            Sys.NETTY.key());
    int combos =
        systems.size() * transports.size() * Family.values().length + Family.values().length;
    progress.start(
        "throughput: JMH, "
            + combos
            + " combinations of "
            + (settings.streamBytes >> 20)
            + " MiB (log "
            + log
            + ")");
    Collection<RunResult> results = new ArrayList<>();
    String error = null;
    try {
      results.addAll(
          run(
              streamOptions(settings, jdkLog)
                  .param("system", Sys.JDK.key())
                  .param("transport", Sys.NO_TRANSPORT)));
      results.addAll(
          run(
              streamOptions(settings, log)
                  .param("system", systems.toArray(new String[0]))
                  .param("transport", transports.toArray(new String[0]))));
    } catch (RunnerException | RuntimeException e) {
      error = Results.describe(e);
    }
    List<String> wanted = new ArrayList<>();
    for (Family f : Family.values()) {
      wanted.add(Sys.JDK.key() + "/" + Sys.NO_TRANSPORT + "/" + f.key());
      for (String s : systems) {
        for (String t : transports) {
          wanted.add(s + "/" + t + "/" + f.key());
        }
      }
    }
    for (String w : wanted) {
      String[] k = w.split("/");
      RunResult found = null;
      for (RunResult r : results) {
        BenchmarkParams p = r.getParams();
        if (p.getBenchmark().endsWith(".stream")
            && p.getParam("system").equals(k[0])
            && p.getParam("transport").equals(k[1])
            && p.getParam("family").equals(k[2])) {
          found = r;
        }
      }
      Sys sys = Sys.parse(k[0]);
      Family family = Family.parse(k[2]);
      if (found == null) {
        rows.add(
            new Results.ThroughputRow(
                sys,
                k[1],
                family,
                settings.streamBytes,
                Double.NaN,
                Double.NaN,
                Double.NaN,
                error != null
                    ? error
                    : firstError(
                        sys == Sys.JDK ? jdkLog : log,
                        w,
                        "system = " + k[0] + ",",
                        "transport = " + k[1] + ")",
                        "family = " + k[2] + ",")));
        continue;
      }
      Result<?> primary = found.getPrimaryResult();
      double ms = primary.getScore();
      double seconds = ms / 1e3;
      rows.add(
          new Results.ThroughputRow(
              sys,
              k[1],
              family,
              settings.streamBytes,
              settings.streamBytes / GIB / seconds,
              seconds,
              primary.getScoreError() / 1e3,
              null));
    }
    long failed = rows.stream().filter(r -> r.error() != null).count();
    progress.done(failed == 0 ? "all ran" : failed + " failed");
    return rows;
  }

  private static ChainedOptionsBuilder streamOptions(Settings settings, Path log) {
    return new OptionsBuilder()
        .include(ThroughputBench.class.getName() + "\\.stream$")
        .param("family", Family.TCP.key(), Family.LOCAL.key())
        .param("bytes", Long.toString(settings.streamBytes))
        .forks(settings.jmhForks)
        .warmupIterations(settings.streamWarmups)
        .measurementIterations(settings.streamMeasurements)
        .shouldFailOnError(false)
        .output(log.toString());
  }

  static List<Results.PollerRow> poller(
      Settings settings, List<String> transports, Path logDir, Progress progress) {
    Path log = logDir.resolve("jmh-poller.log");
    List<Results.PollerRow> rows = new ArrayList<>();
    String[] sizes = new String[settings.pollerSizes.length];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = Integer.toString(settings.pollerSizes[i]);
    }
    progress.start(
        "waitForEvents: JMH, "
            + transports.size() * sizes.length
            + " combinations (log "
            + log
            + ")");
    Collection<RunResult> results = new ArrayList<>();
    String error = null;
    try {
      results.addAll(
          run(
              new OptionsBuilder()
                  .include(PollerBench.class.getName() + "\\.waitForEvents$")
                  .param("transport", transports.toArray(new String[0]))
                  .param("monitored", sizes)
                  .forks(settings.jmhForks)
                  .warmupIterations(settings.pollerWarmups)
                  .warmupTime(TimeValue.milliseconds(settings.pollerIterationMillis))
                  .measurementIterations(settings.pollerIterations)
                  .measurementTime(TimeValue.milliseconds(settings.pollerIterationMillis))
                  .shouldFailOnError(false)
                  .output(log.toString())));
    } catch (RunnerException | RuntimeException e) {
      error = Results.describe(e);
    }
    for (String t : transports) {
      for (String size : sizes) {
        RunResult found = null;
        for (RunResult r : results) {
          BenchmarkParams p = r.getParams();
          if (p.getParam("transport").equals(t) && p.getParam("monitored").equals(size)) {
            found = r;
          }
        }
        int n = Integer.parseInt(size);
        if (found == null) {
          rows.add(
              new Results.PollerRow(
                  t,
                  n,
                  Double.NaN,
                  Double.NaN,
                  error != null
                      ? error
                      : firstError(
                          log,
                          "waitForEvents " + t + " " + size,
                          "monitored = " + size + ",",
                          "transport = " + t + ")")));
        } else {
          rows.add(
              new Results.PollerRow(
                  t,
                  n,
                  found.getPrimaryResult().getScore(),
                  found.getPrimaryResult().getScoreError(),
                  null));
        }
      }
    }
    long failed = rows.stream().filter(r -> r.error() != null).count();
    progress.done(failed == 0 ? "all ran" : failed + " failed");
    return rows;
  }

  private static Collection<RunResult> run(ChainedOptionsBuilder options) throws RunnerException {
    return new Runner(options.build()).run();
  }

  /**
   * The first exception line JMH logged while running the combination whose "# Parameters:" line
   * holds every one of {@code params} ("name = value"): JMH prints a failed benchmark's stack trace
   * under its parameters.
   */
  static String firstError(Path log, String what, String... params) {
    try {
      boolean inside = false;
      for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
        if (line.startsWith("# Parameters:")) {
          inside = true;
          for (String p : params) {
            inside &= line.contains(p);
          }
        } else if (inside && (line.contains("Exception") || line.contains("Error"))) {
          return Results.clean("no result for " + what + "; JMH log: " + line.trim());
        }
      }
    } catch (IOException e) {
      // fall through to the plain message
    }
    return "no result for " + what + "; see " + log;
  }
}
