package dev.scaleblocks.benchmarks.report;

import java.util.Locale;

/** Number formatting shared by the markdown and the charts; locale-independent. */
final class Format {

  private Format() {}

  /** Three significant digits, thousands grouped above 1000, "—" for NaN. */
  static String number(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return "—";
    }
    double a = Math.abs(v);
    if (a >= 1000) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    if (a >= 10) {
      return String.format(Locale.ROOT, "%.2f", v);
    }
    if (a >= 0.01 || a == 0) {
      return String.format(Locale.ROOT, "%.3f", v);
    }
    return String.format(Locale.ROOT, "%.2e", v);
  }

  /** Bytes per operation with one decimal ({@code -prof gc} reports 1e-5 for "nothing"). */
  static String bytes(double v) {
    return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.1f", v);
  }

  /** {@code 12.3 ± 0.4}, or just the score when there is no error. */
  static String withError(double score, double error) {
    return Double.isNaN(error) ? number(score) : number(score) + " ± " + number(error);
  }

  /** A ratio with two decimals: {@code 0.93}. */
  static String ratio(double r) {
    return Double.isNaN(r) ? "—" : String.format(Locale.ROOT, "%.2f", r);
  }

  static String xml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  static String markdownCell(String s) {
    return s.replace("|", "\\|");
  }
}
