package dev.scaleblocks.benchmarks.report;

import java.util.OptionalDouble;

/** Converts JMH's units ({@code ns/op}, {@code ops/ms}, ...) to nanoseconds per operation. */
final class Units {

  private Units() {}

  static OptionalDouble nanosPerOp(double score, String unit) {
    if (Double.isNaN(score)) {
      return OptionalDouble.empty();
    }
    String[] parts = unit.split("/");
    if (parts.length != 2) {
      return OptionalDouble.empty();
    }
    if (parts[1].equals("op")) {
      double ns = nanosOf(parts[0]);
      return Double.isNaN(ns) ? OptionalDouble.empty() : OptionalDouble.of(score * ns);
    }
    if (parts[0].equals("ops")) {
      double ns = nanosOf(parts[1]);
      return Double.isNaN(ns) || score <= 0
          ? OptionalDouble.empty()
          : OptionalDouble.of(ns / score);
    }
    return OptionalDouble.empty();
  }

  static boolean isRate(String unit) {
    return unit.startsWith("ops/");
  }

  private static double nanosOf(String timeUnit) {
    switch (timeUnit) {
      case "ns":
        return 1;
      case "us":
        return 1e3;
      case "ms":
        return 1e6;
      case "s":
        return 1e9;
      case "min":
        return 60e9;
      default:
        return Double.NaN;
    }
  }
}
