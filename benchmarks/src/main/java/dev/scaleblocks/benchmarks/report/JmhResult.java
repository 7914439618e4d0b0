package dev.scaleblocks.benchmarks.report;

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
 */
public record JmhResult(
    String benchmark,
    String mode,
    int threads,
    Map<String, String> params,
    double score,
    double error,
    String unit,
    double allocBytesPerOp) {

  public JmhResult {
    Objects.requireNonNull(benchmark, "benchmark");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(unit, "unit");
    params = java.util.Collections.unmodifiableMap(new TreeMap<>(params));
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

  /** Nanoseconds per operation, whatever the unit; empty for units that are not time or rate. */
  public OptionalDouble nanosPerOp() {
    return Units.nanosPerOp(score, unit);
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
