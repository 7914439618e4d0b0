package dev.scaleblocks.benchmarks.report;

import java.util.Map;
import java.util.Objects;

/**
 * One bar from the design: which of our benchmarks is measured against which anchor, and what the
 * ratio must be.
 *
 * <p>Benchmarks are named {@code SimpleClassName.method}. {@code oursParams} / {@code anchorParams}
 * pin parameters that tell our side from the anchor's when both are one method with an
 * implementation parameter (say {@code impl=scaleblocks} against {@code impl=caffeine}); every
 * other parameter, and the thread count, must be equal for two results to pair.
 *
 * @param area the module the goal belongs to; one section and one chart per area
 * @param ours our benchmark, {@code SimpleClassName.method}
 * @param oursParams parameters our result must have
 * @param anchor the anchor's benchmark, or the empty string for absolute goals without anchor
 * @param anchorParams parameters the anchor's result must have
 * @param kind how the ratio is formed and checked
 * @param bound the bar: a ratio, or nanoseconds for {@link Kind#NANOS_AT_MOST}
 * @param text the goal as the design states it
 */
public record Goal(
    String area,
    String ours,
    Map<String, String> oursParams,
    String anchor,
    Map<String, String> anchorParams,
    Kind kind,
    double bound,
    String text) {

  /** How a goal turns two scores into a ratio and checks it. */
  public enum Kind {
    /** ours ops/s ÷ anchor ops/s must be at least {@code bound}. */
    THROUGHPUT_AT_LEAST,
    /** ours ns/op ÷ anchor ns/op must be at most {@code bound}. */
    TIME_AT_MOST,
    /** ours ns/op must be at most {@code bound} ns; the time ratio to the anchor is shown. */
    NANOS_AT_MOST,
    /** no bar in the design: the time ratio is shown for information. */
    INFO
  }

  public Goal {
    Objects.requireNonNull(area, "area");
    Objects.requireNonNull(ours, "ours");
    Objects.requireNonNull(anchor, "anchor");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(text, "text");
    oursParams = Map.copyOf(oursParams);
    anchorParams = Map.copyOf(anchorParams);
    if (anchor.isEmpty() && kind != Kind.NANOS_AT_MOST) {
      throw new IllegalArgumentException("goal " + ours + " of kind " + kind + " needs an anchor");
    }
  }

  /** Ours ≥ bound × anchor throughput. */
  static Goal throughputAtLeast(String area, String ours, String anchor, double bound, String text) {
    return new Goal(area, ours, Map.of(), anchor, Map.of(), Kind.THROUGHPUT_AT_LEAST, bound, text);
  }

  /** Ours ≤ bound × anchor time per operation. */
  static Goal timeAtMost(String area, String ours, String anchor, double bound, String text) {
    return new Goal(area, ours, Map.of(), anchor, Map.of(), Kind.TIME_AT_MOST, bound, text);
  }

  /** Ours ≤ bound ns/op; the anchor, if not empty, is shown beside it. */
  static Goal nanosAtMost(String area, String ours, String anchor, double bound, String text) {
    return new Goal(area, ours, Map.of(), anchor, Map.of(), Kind.NANOS_AT_MOST, bound, text);
  }

  /** Shown beside the anchor without a bar. */
  static Goal info(String area, String ours, String anchor, String text) {
    return new Goal(area, ours, Map.of(), anchor, Map.of(), Kind.INFO, Double.NaN, text);
  }

  /** The same goal with pinned parameters on both sides. */
  Goal withParams(Map<String, String> ours, Map<String, String> anchor) {
    return new Goal(area, this.ours, ours, this.anchor, anchor, kind, bound, text);
  }

  boolean hasAnchor() {
    return !anchor.isEmpty();
  }
}
