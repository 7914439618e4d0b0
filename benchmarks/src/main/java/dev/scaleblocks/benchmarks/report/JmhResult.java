package dev.scaleblocks.benchmarks.report;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * One row of JMH's JSON output: a benchmark method with one combination of its parameters.
 *
 * @param benchmark fully qualified name, {@code dev.scaleblocks.benchmarks.cache.XBenchmark.l1Hit}
 * @param mode JMH mode ({@code thrpt}, {@code avgt}, {@code sample}, {@code ss})
 * @param threads benchmark threads
 * @param params the {@code @Param} values of this row, sorted by name
 * @param score primary score
 * @param error the 99.9% half-width JMH reports, {@code NaN} when there were too few iterations
 * @param unit primary unit, {@code ns/op} or {@code ops/s} and so on
 * @param allocBytesPerOp {@code gc.alloc.rate.norm} when the run used {@code -prof gc}, else NaN
 * @param forkScores the score of each fork (the mean of its measurement iterations, JMH's {@code
 *     rawData}), in {@code unit}; empty when the JSON had none
 */
public record JmhResult(
    String benchmark,
    String mode,
    int threads,
    Map<String, String> params,
    double score,
    double error,
    String unit,
    double allocBytesPerOp,
    List<Double> forkScores) {

  /** Verdicts are taken over at least this many forks; fewer are indicative only. */
  public static final int MIN_FORKS = 5;

  public JmhResult {
    Objects.requireNonNull(benchmark, "benchmark");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(unit, "unit");
    params = java.util.Collections.unmodifiableMap(new TreeMap<>(params));
    forkScores = List.copyOf(forkScores);
  }

  /** A result without per-fork scores. */
  public JmhResult(String benchmark, String mode, int threads, Map<String, String> params,
      double score, double error, String unit, double allocBytesPerOp) {
    this(benchmark, mode, threads, params, score, error, unit, allocBytesPerOp, List.of());
  }

  /** Forks measured (0 when the JSON had no per-fork data). */
  public int forks() {
    return forkScores.size();
  }

  /**
   * The score verdicts use: the median of the forks' scores when there are two or more, so that
   * one fork slowed by the machine (or by an unlucky compilation) moves it little; else JMH's
   * score.
   */
  public double centre() {
    return forkScores.size() >= 2 ? quantile(0.5) : score;
  }

  /** The lowest fork score, or the score without forks. */
  public double forkMin() {
    return forkScores.isEmpty() ? score : quantile(0);
  }

  /** The highest fork score, or the score without forks. */
  public double forkMax() {
    return forkScores.isEmpty() ? score : quantile(1);
  }

  private double quantile(double q) {
    double[] sorted = forkScores.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    if (q <= 0) {
      return sorted[0];
    }
    if (q >= 1) {
      return sorted[sorted.length - 1];
    }
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** {@code SimpleClassName.method}, the name goals refer to. */
  public String shortName() {
    int method = benchmark.lastIndexOf('.');
    int cls = method > 0 ? benchmark.lastIndexOf('.', method - 1) : -1;
    return benchmark.substring(cls + 1);
  }

  /** The package segment after {@code dev.scaleblocks.benchmarks.}, i.e. the module. */
  public String module() {
    String prefix = "dev.scaleblocks.benchmarks.";
    if (benchmark.startsWith(prefix)) {
      int dot = benchmark.indexOf('.', prefix.length());
      if (dot > 0) {
        return benchmark.substring(prefix.length(), dot);
      }
    }
    return "other";
  }

  /** {@code a=1, b=x}, or the empty string without params. */
  public String paramsText() {
    StringBuilder sb = new StringBuilder();
    params.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append('=').append(v));
    return sb.toString();
  }

  /**
   * Nanoseconds per operation at the {@link #centre()}, whatever the unit; empty for units that are
   * not time or rate.
   */
  public OptionalDouble nanosPerOp() {
    return Units.nanosPerOp(centre(), unit);
  }

  /** Nanoseconds per operation of the fastest fork (empty as {@link #nanosPerOp()}). */
  public OptionalDouble fastestNanosPerOp() {
    OptionalDouble a = Units.nanosPerOp(forkMin(), unit);
    OptionalDouble b = Units.nanosPerOp(forkMax(), unit);
    return a.isPresent() && b.isPresent() ? OptionalDouble.of(Math.min(a.getAsDouble(), b.getAsDouble())) : a;
  }

  /** Nanoseconds per operation of the slowest fork (empty as {@link #nanosPerOp()}). */
  public OptionalDouble slowestNanosPerOp() {
    OptionalDouble a = Units.nanosPerOp(forkMin(), unit);
    OptionalDouble b = Units.nanosPerOp(forkMax(), unit);
    return a.isPresent() && b.isPresent() ? OptionalDouble.of(Math.max(a.getAsDouble(), b.getAsDouble())) : a;
  }

  /** Operations per second, whatever the unit; empty for units that are not time or rate. */
  public OptionalDouble opsPerSecond() {
    OptionalDouble ns = nanosPerOp();
    return ns.isPresent() && ns.getAsDouble() > 0
        ? OptionalDouble.of(1e9 / ns.getAsDouble())
        : OptionalDouble.empty();
  }

  /** Error relative to the score (0.05 = ±5%), NaN when JMH gave none. */
  public double relativeError() {
    return score == 0 ? Double.NaN : Math.abs(error / score);
  }
}
