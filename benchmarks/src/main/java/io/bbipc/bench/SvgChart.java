package io.bbipc.bench;

import java.util.List;
import java.util.Locale;

/**
 * Horizontal grouped bar charts as SVG text, drawn here so the harness needs no chart library. One
 * panel per measurement; each has its own labelled axis, a legend and the value at each bar.
 */
final class SvgChart {
  private static final int WIDTH = 1100;

  /** Wide enough for "bbipc sync, caller-driven + busy poll · io_uring" at 12 px. */
  private static final int LABEL_WIDTH = 330;

  private static final int RIGHT_MARGIN = 90;
  private static final int BAR = 13;
  private static final int BAR_GAP = 2;
  private static final int ROW_GAP = 9;
  private static final String FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

  private SvgChart() {}

  record Series(String name, String color) {}

  /**
   * {@code values[row][series]}; NaN draws "n/a". A finite {@code target} draws a dashed line
   * there.
   */
  record Panel(
      String title,
      String axisLabel,
      List<String> rows,
      List<Series> series,
      double[][] values,
      String format,
      double target,
      String targetLabel) {
    Panel(
        String title,
        String axisLabel,
        List<String> rows,
        List<Series> series,
        double[][] values,
        String format) {
      this(title, axisLabel, rows, series, values, format, Double.NaN, null);
    }
  }

  static String render(String title, String subtitle, List<Panel> panels) {
    StringBuilder body = new StringBuilder();
    int y = 58;
    for (Panel p : panels) {
      y = panel(body, p, y) + 28;
    }
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" %s>%n",
            WIDTH,
            y,
            WIDTH,
            y,
            FONT));
    svg.append(
        String.format(
            Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", WIDTH, y));
    svg.append(text(16, 26, 20, "bold", "start", title));
    svg.append(text(16, 46, 12, "normal", "start", subtitle));
    svg.append(body);
    svg.append("</svg>\n");
    return svg.toString();
  }

  private static int panel(StringBuilder out, Panel p, int top) {
    int plotLeft = LABEL_WIDTH;
    int plotWidth = WIDTH - LABEL_WIDTH - RIGHT_MARGIN;
    out.append(text(16, top + 16, 15, "bold", "start", p.title()));
    int legendX = plotLeft;
    for (Series s : p.series()) {
      out.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>%n",
              legendX,
              top + 25,
              s.color()));
      out.append(text(legendX + 17, top + 35, 12, "normal", "start", s.name()));
      legendX += 30 + 7 * s.name().length();
    }
    double max = 0;
    for (double[] row : p.values()) {
      for (double v : row) {
        if (!Double.isNaN(v) && !Double.isInfinite(v)) {
          max = Math.max(max, v);
        }
      }
    }
    if (Double.isFinite(p.target())) {
      max = Math.max(max, p.target());
    }
    double step = niceStep(max <= 0 ? 1 : max / 5);
    double axisMax = Math.max(step, Math.ceil(max / step) * step);
    int rowsTop = top + 46;
    int rowHeight = p.series().size() * (BAR + BAR_GAP) - BAR_GAP + ROW_GAP;
    int plotHeight = p.rows().size() * rowHeight;
    // grid and ticks first, so bars draw over them
    for (double t = 0; t <= axisMax + step / 2; t += step) {
      int x = plotLeft + (int) Math.round(t / axisMax * plotWidth);
      out.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#dddddd\" stroke-width=\"1\"/>%n",
              x,
              rowsTop - 4,
              x,
              rowsTop + plotHeight));
      out.append(text(x, rowsTop + plotHeight + 15, 11, "normal", "middle", tick(t, step)));
    }
    out.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\" stroke-width=\"1\"/>%n",
            plotLeft,
            rowsTop + plotHeight,
            plotLeft + plotWidth,
            rowsTop + plotHeight));
    out.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\" stroke-width=\"1\"/>%n",
            plotLeft,
            rowsTop - 4,
            plotLeft,
            rowsTop + plotHeight));
    out.append(
        text(
            plotLeft + plotWidth / 2,
            rowsTop + plotHeight + 33,
            12,
            "bold",
            "middle",
            p.axisLabel()));
    if (Double.isFinite(p.target())) {
      int x = plotLeft + (int) Math.round(p.target() / axisMax * plotWidth);
      out.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c0392b\" stroke-width=\"1.5\" "
                  + "stroke-dasharray=\"5,4\"/>%n",
              x,
              rowsTop - 8,
              x,
              rowsTop + plotHeight));
      out.append(text(x - 4, rowsTop - 10, 11, "bold", "end", p.targetLabel()));
    }
    for (int r = 0; r < p.rows().size(); r++) {
      int rowTop = rowsTop + r * rowHeight;
      int groupHeight = rowHeight - ROW_GAP;
      out.append(
          text(plotLeft - 8, rowTop + groupHeight / 2 + 4, 12, "normal", "end", p.rows().get(r)));
      for (int s = 0; s < p.series().size(); s++) {
        double v = p.values()[r][s];
        int barTop = rowTop + s * (BAR + BAR_GAP);
        if (Double.isNaN(v) || Double.isInfinite(v)) {
          out.append(text(plotLeft + 4, barTop + BAR - 2, 10, "normal", "start", "n/a"));
          continue;
        }
        int w = (int) Math.max(1, Math.round(v / axisMax * plotWidth));
        out.append(
            String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s, %s: %s</title></rect>%n",
                plotLeft,
                barTop,
                w,
                BAR,
                p.series().get(s).color(),
                escape(p.rows().get(r)),
                escape(p.series().get(s).name()),
                escape(String.format(Locale.ROOT, p.format(), v))));
        out.append(
            text(
                plotLeft + w + 4,
                barTop + BAR - 2,
                10,
                "normal",
                "start",
                String.format(Locale.ROOT, p.format(), v)));
      }
    }
    return rowsTop + plotHeight + 36;
  }

  /** 1, 2 or 5 times a power of ten, the first at or above {@code raw}. */
  static double niceStep(double raw) {
    double pow = Math.pow(10, Math.floor(Math.log10(raw)));
    double f = raw / pow;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * pow;
  }

  private static String tick(double t, double step) {
    if (step >= 1 && t == Math.rint(t)) {
      return String.format(Locale.ROOT, "%,d", (long) t);
    }
    int decimals = (int) Math.max(0, Math.ceil(-Math.log10(step)));
    return String.format(Locale.ROOT, "%." + decimals + "f", t);
  }

  private static String text(int x, int y, int size, String weight, String anchor, String s) {
    return String.format(
        Locale.ROOT,
        "<text x=\"%d\" y=\"%d\" font-size=\"%d\" font-weight=\"%s\" text-anchor=\"%s\" fill=\"#222222\">%s</text>%n",
        x,
        y,
        size,
        weight,
        anchor,
        escape(s));
  }

  static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
