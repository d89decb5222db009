package io.bbipc.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** docs/benchmarks.svg: the run's figures as bar charts, one panel per measurement. */
final class Chart {
  private static final SvgChart.Series TCP = new SvgChart.Series("TCP loopback", "#3b6fb6");
  private static final SvgChart.Series LOCAL = new SvgChart.Series("local socket", "#e08a2c");
  private static final String[] SIZE_COLORS = {"#7fb77e", "#3f8f5a", "#175c34", "#0b3a1f"};

  private Chart() {}

  static String render(Results r, Markdown.Context c) {
    List<SvgChart.Panel> panels = new ArrayList<>();
    List<Sys> streamingSystems =
        List.of(Sys.JDK, Sys.BBIPC_SYNC, Sys.BBIPC_SYNC_CALLER, Sys.BBIPC_ASYNC, Sys.NETTY);
    if (c.parts.contains("latency")) {
      if (r.latency.stream().anyMatch(x -> x.pinned())) {
        panels.add(
            latencyPanel(
                r,
                c,
                List.of(Sys.JDK, Sys.BBIPC_SYNC, Sys.BBIPC_SYNC_CALLER, Sys.BBIPC_ASYNC, Sys.NETTY),
                true));
      }
      panels.add(
          latencyPanel(
              r,
              c,
              List.of(
                  Sys.JDK,
                  Sys.BBIPC_SYNC,
                  Sys.BBIPC_SYNC_SPIN,
                  Sys.BBIPC_SYNC_CALLER,
                  Sys.BBIPC_SYNC_CALLER_BUSY,
                  Sys.BBIPC_ASYNC,
                  Sys.NETTY),
              false));
    }
    if (c.parts.contains("syscalls") && !r.syscalls.isEmpty()) {
      List<String> labels = new ArrayList<>();
      double[][] v = new double[Syscalls.SYSTEMS.size()][2];
      for (int i = 0; i < Syscalls.SYSTEMS.size(); i++) {
        Sys sys = Syscalls.SYSTEMS.get(i);
        String tr = sys.usesTransport() ? Syscalls.transport(c.transports) : Sys.NO_TRANSPORT;
        labels.add(sys.label(tr) + (sys == Sys.BBIPC_SYNC ? " (threaded)" : ""));
        for (Family f : Family.values()) {
          Results.SyscallRow x = r.syscallRow(sys, f);
          v[i][f.ordinal()] = x == null || x.error() != null ? Double.NaN : x.perRoundTrip();
        }
      }
      panels.add(
          new SvgChart.Panel(
              "System calls per 64-byte round trip, both ends, strace -f -c (shorter is "
                  + "better; target ≤ 6 for caller-driven)",
              "system calls per round trip",
              labels,
              List.of(TCP, LOCAL),
              v,
              "%.2f",
              6.0,
              "target 6"));
    }
    if (c.parts.contains("throughput")) {
      panels.add(
          byFamily(
              "Streaming "
                  + Markdown.bytes(c.settings.streamBytes)
                  + " in 64 KiB writes, one way"
                  + " (longer is better)",
              "GiB/s",
              rows(c, streamingSystems),
              "%.2f",
              (sys, tr, f) -> {
                Results.ThroughputRow x =
                    Results.find(
                        r.throughput,
                        y -> y.sys() == sys && y.transport().equals(tr) && y.family() == f);
                return x == null || x.error() != null ? Double.NaN : x.gibPerSecond();
              }));
    }
    if (c.parts.contains("poller")) {
      List<SvgChart.Series> series = new ArrayList<>();
      int[] sizes = c.settings.pollerSizes;
      for (int i = 0; i < sizes.length; i++) {
        series.add(
            new SvgChart.Series(
                String.format(Locale.ROOT, "%,d monitored", sizes[i]),
                SIZE_COLORS[i % SIZE_COLORS.length]));
      }
      double[][] v = new double[c.transports.size()][sizes.length];
      List<String> labels = new ArrayList<>();
      for (int t = 0; t < c.transports.size(); t++) {
        String tr = c.transports.get(t);
        labels.add("bbipc · " + tr);
        for (int i = 0; i < sizes.length; i++) {
          int n = sizes[i];
          Results.PollerRow x =
              Results.find(r.poller, y -> y.transport().equals(tr) && y.monitored() == n);
          v[t][i] = x == null || x.error() != null ? Double.NaN : x.nanosPerCall();
        }
      }
      panels.add(
          new SvgChart.Panel(
              "One waitForEvents, 1 ready stream among N (shorter is better)",
              "ns per call",
              labels,
              series,
              v,
              "%.0f"));
    }
    if (c.parts.contains("memory") && !r.memory.isEmpty()) {
      List<String> labels = new ArrayList<>();
      double[][] v = new double[r.memory.size()][1];
      for (int i = 0; i < r.memory.size(); i++) {
        Results.MemoryRow x = r.memory.get(i);
        labels.add(Memory.memoryLabel(x.sys(), x.transport()));
        v[i][0] =
            x.error() != null
                ? Double.NaN
                : (x.heapPerConnection() + x.directPerConnection()) / 1024;
      }
      panels.add(
          new SvgChart.Panel(
              String.format(
                  Locale.ROOT,
                  "Heap + direct memory per idle connection, %,d connections (shorter is better; target ≤ 4 KiB)",
                  c.settings.idleConnections),
              "KiB per connection",
              labels,
              List.of(new SvgChart.Series("accepted end", "#8c5fb0")),
              v,
              "%.2f",
              4.0,
              "target 4 KiB"));
    }
    if (c.parts.contains("connect")) {
      panels.add(
          byFamily(
              "Connect + accept + close, one after another (longer is better)",
              "connections per second",
              rows(c, List.of(Sys.JDK, Sys.BBIPC_SYNC, Sys.NETTY)),
              "%,.0f",
              (sys, tr, f) -> {
                Results.ConnectRow x =
                    Results.find(
                        r.connect,
                        y -> y.sys() == sys && y.transport().equals(tr) && y.family() == f);
                return x == null || x.error() != null ? Double.NaN : x.perSecond();
              }));
    }
    String subtitle =
        String.format(
            Locale.ROOT,
            "%s%s · %d CPUs (%s) · %s · %s · load at start %s",
            c.settings.smoke ? "SMOKE RUN, figures meaningless · " : "",
            c.date,
            Runtime.getRuntime().availableProcessors(),
            Machine.cpuModel(),
            Machine.kernel(),
            "JDK " + System.getProperty("java.runtime.version"),
            c.loadAtStart);
    return SvgChart.render("bbipc against raw Netty and the JDK", subtitle, panels);
  }

  /** A row key: a system, and its transport where it has one. */
  record Row(Sys sys, String transport) {}

  interface Value {
    double of(Sys sys, String transport, Family family);
  }

  private static List<Row> rows(Markdown.Context c, List<Sys> systems) {
    List<Row> rows = new ArrayList<>();
    for (Sys sys : systems) {
      if (!sys.usesTransport()) {
        rows.add(new Row(sys, Sys.NO_TRANSPORT));
      }
    }
    for (String tr : c.transports) {
      for (Sys sys : systems) {
        if (sys.usesTransport()) {
          rows.add(new Row(sys, tr));
        }
      }
    }
    return rows;
  }

  private static SvgChart.Panel latencyPanel(
      Results r, Markdown.Context c, List<Sys> systems, boolean pinned) {
    return byFamily(
        pinned
            ? "64-byte round trip, pinned to one CPU: the software's own cost (p50, shorter is better)"
            : "64-byte round trip, unpinned on 2 vCPUs: what users here see (p50, shorter is better)",
        "µs per round trip (median)",
        rows(c, systems),
        "%.1f",
        (sys, tr, f) -> {
          Results.LatencyRow x = r.latencyRow(pinned, sys, tr, f);
          return x == null || x.error() != null ? Double.NaN : x.p50() / 1e3;
        });
  }

  private static SvgChart.Panel byFamily(
      String title, String axis, List<Row> rows, String format, Value value) {
    List<String> labels = new ArrayList<>();
    double[][] v = new double[rows.size()][2];
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      labels.add(row.sys().label(row.transport()));
      v[i][0] = value.of(row.sys(), row.transport(), Family.TCP);
      v[i][1] = value.of(row.sys(), row.transport(), Family.LOCAL);
    }
    return new SvgChart.Panel(title, axis, labels, List.of(TCP, LOCAL), v, format);
  }
}
