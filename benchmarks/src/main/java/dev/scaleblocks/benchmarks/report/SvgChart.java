package dev.scaleblocks.benchmarks.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A horizontal bar chart of ratios to the anchor, one bar per comparison, written as plain SVG:
 * the bar is the ratio, the whisker its error, a grey line marks parity (1×) and a red tick the
 * goal.
 */
final class SvgChart {

  private static final int WIDTH = 860;
  private static final int LABEL = 420;
  private static final int PLOT = 360;
  private static final int ROW = 24;
  private static final int TOP = 44;

  private SvgChart() {}

  /** The comparisons of one area that have a ratio; empty if none has. */
  static List<Comparison> plottable(List<Comparison> rows) {
    List<Comparison> out = new ArrayList<>();
    for (Comparison c : rows) {
      if (!Double.isNaN(c.ratio())) {
        out.add(c);
      }
    }
    return out;
  }

  static String render(String area, List<Comparison> rows) {
    List<Comparison> bars = plottable(rows);
    double max = 1.2;
    for (Comparison c : bars) {
      double err = Double.isNaN(c.ratioError()) ? 0 : c.ratioError();
      max = Math.max(max, c.ratio() + err);
      if (ratioGoal(c)) {
        max = Math.max(max, c.goal().bound());
      }
    }
    max *= 1.1;
    int height = TOP + bars.size() * ROW + 40;
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n",
            WIDTH, height, WIDTH, height));
    s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", WIDTH, height));
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s: ratio to the anchor</text>%n",
            Format.xml(area)));
    s.append(
        "<text x=\"10\" y=\"36\" fill=\"#555555\">thrpt: our throughput ÷ anchor's (higher is better);"
            + " time: our ns/op ÷ anchor's (lower is better); red tick = goal</text>\n");
    double parity = x(1.0, max);
    int plotBottom = TOP + bars.size() * ROW;
    s.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999999\" stroke-dasharray=\"3,3\"/>%n",
            parity, TOP - 4, parity, plotBottom));
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%.1f\" y=\"%d\" fill=\"#777777\" text-anchor=\"middle\">1×</text>%n",
            parity, plotBottom + 14));
    int i = 0;
    for (Comparison c : bars) {
      int y = TOP + i * ROW;
      String kind = c.goal().kind() == Goal.Kind.THROUGHPUT_AT_LEAST ? "thrpt" : "time";
      // the method name is enough within one area's chart; the table has the class
      String name = c.ours().shortName();
      String label = name.substring(name.indexOf('.') + 1);
      String params = paramsLabel(c.ours());
      if (!params.isEmpty()) {
        label += " [" + params + "]";
      }
      if (c.goal().kind() == Goal.Kind.INFO || c.goal().kind() == Goal.Kind.NANOS_AT_MOST) {
        String anchor = c.goal().anchor();
        label += " vs " + (c.goal().anchorParams().isEmpty()
            ? anchor.substring(anchor.indexOf('.') + 1)
            : String.join(",", c.goal().anchorParams().values()));
      }
      if (label.length() > 56) {
        label = label.substring(0, 55) + "…";
      }
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s (%s)</text>%n",
              LABEL - 6, y + 15, Format.xml(label), kind));
      double end = x(c.ratio(), max);
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>%n",
              LABEL, y + 4, Math.max(0.5, end - LABEL), ROW - 8, color(c)));
      if (!Double.isNaN(c.ratioError()) && c.ratioError() > 0) {
        double lo = x(Math.max(0, c.ratio() - c.ratioError()), max);
        double hi = x(c.ratio() + c.ratioError(), max);
        int mid = y + ROW / 2;
        s.append(
            String.format(
                Locale.ROOT,
                "<path d=\"M%.1f %dV%dM%.1f %dH%.1fM%.1f %dV%d\" stroke=\"#222222\" fill=\"none\"/>%n",
                lo, mid - 4, mid + 4, lo, mid, hi, hi, mid - 4, mid + 4));
      }
      if (ratioGoal(c)) {
        double g = x(c.goal().bound(), max);
        s.append(
            String.format(
                Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d50000\" stroke-width=\"2\"/>%n",
                g, y + 1, g, y + ROW - 1));
      }
      double textX = Math.max(end, Double.isNaN(c.ratioError()) ? end : x(c.ratio() + c.ratioError(), max));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\">%s×</text>%n",
              textX + 6, y + 16, Format.ratio(c.ratio())));
      i++;
    }
    s.append("</svg>\n");
    return s.toString();
  }

  private static boolean ratioGoal(Comparison c) {
    return c.goal().kind() == Goal.Kind.THROUGHPUT_AT_LEAST
        || c.goal().kind() == Goal.Kind.TIME_AT_MOST;
  }

  private static String paramsLabel(JmhResult r) {
    String p = r.paramsText();
    return r.threads() != 1 ? (p.isEmpty() ? "" : p + ", ") + "threads=" + r.threads() : p;
  }

  private static double x(double ratio, double max) {
    return LABEL + PLOT * ratio / max;
  }

  private static String color(Comparison c) {
    switch (c.verdict()) {
      case MET:
        return "#2e7d32";
      case NOT_MET:
        return "#c62828";
      default:
        return "#78909c";
    }
  }
}
