package dev.scaleblocks.benchmarks.report;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * One of our results beside its anchor, with the ratio the goal asks for and the verdict.
 *
 * @param goal the goal this row checks
 * @param ours our result
 * @param anchor the anchor's result with the same parameters, or null when none was run
 * <p>Scores are the median of the forks' scores ({@link JmhResult#centre()}), and the ratio is the
 * ratio of the two medians: the forks of ours and of the anchor run one after the other on a
 * machine whose load changes, so one slow fork on either side must not decide the verdict. The
 * fork range (the worst and best pairing of a fork of ours with a fork of the anchor) is shown and
 * marks a verdict a rerun could flip. A verdict counts only when both sides have at least {@link
 * JmhResult#MIN_FORKS} forks; with fewer it is indicative.
 *
 * @param goal the goal this row checks
 * @param ours our result
 * @param anchor the anchor's result with the same parameters, or null when none was run
 * @param ratio the ratio the goal's kind defines (throughput or time) of the fork medians, NaN
 *     without an anchor
 * @param ratioError the ratio's error bar from both scores' errors, NaN when JMH gave none
 * @param ratioMin the most favourable ratio a fork of ours and a fork of the anchor give, NaN
 *     with fewer than two forks on either side
 * @param ratioMax the least favourable one
 * @param verdict the check against the goal
 */
public record Comparison(
    Goal goal,
    JmhResult ours,
    JmhResult anchor,
    double ratio,
    double ratioError,
    double ratioMin,
    double ratioMax,
    Verdict verdict) {

  /** The outcome of one check. */
  public enum Verdict {
    MET("met"),
    NOT_MET("**not met**"),
    NO_ANCHOR("no anchor result"),
    INFO("—");

    private final String text;

    Verdict(String text) {
      this.text = text;
    }

    /** As printed in the report. */
    public String text() {
      return text;
    }
  }

  public Comparison {
    Objects.requireNonNull(goal, "goal");
    Objects.requireNonNull(ours, "ours");
    Objects.requireNonNull(verdict, "verdict");
  }

  /** Whether ours (and the anchor, when there is one) ran at least {@link JmhResult#MIN_FORKS} forks. */
  public boolean enoughForks() {
    return ours.forks() >= JmhResult.MIN_FORKS
        && (anchor == null || anchor.forks() >= JmhResult.MIN_FORKS);
  }

  /**
   * True when the fork range (or, without forks, the error bar) reaches across the bar, so the
   * verdict could flip on a rerun.
   */
  public boolean inconclusive() {
    if (verdict != Verdict.MET && verdict != Verdict.NOT_MET) {
      return false;
    }
    if (goal.kind() == Goal.Kind.NANOS_AT_MOST && ours.forks() >= 2) {
      OptionalDouble lo = ours.fastestNanosPerOp();
      OptionalDouble hi = ours.slowestNanosPerOp();
      return lo.isPresent() && hi.isPresent()
          && lo.getAsDouble() <= goal.bound() && goal.bound() <= hi.getAsDouble();
    }
    if (goal.kind() != Goal.Kind.NANOS_AT_MOST && !Double.isNaN(ratioMin)) {
      return Math.min(ratioMin, ratioMax) <= goal.bound() && goal.bound() <= Math.max(ratioMin, ratioMax);
    }
    double value;
    double err;
    if (goal.kind() == Goal.Kind.NANOS_AT_MOST) {
      OptionalDouble ns = ours.nanosPerOp();
      if (ns.isEmpty()) {
        return false;
      }
      value = ns.getAsDouble();
      err = value * ours.relativeError();
    } else {
      value = ratio;
      err = ratioError;
    }
    return !Double.isNaN(err) && value - err <= goal.bound() && goal.bound() <= value + err;
  }

  /** Pairs every result some goal names with its anchor, in goal order. */
  public static List<Comparison> compare(List<Goal> goals, List<JmhResult> results) {
    List<Comparison> rows = new ArrayList<>();
    for (Goal goal : goals) {
      for (JmhResult ours : results) {
        if (!matches(ours, goal.ours(), goal.oursParams())) {
          continue;
        }
        JmhResult anchor = goal.hasAnchor() ? findAnchor(goal, ours, results) : null;
        rows.add(evaluate(goal, ours, anchor));
      }
    }
    return rows;
  }

  /** Results that no comparison uses, ours or anchor. */
  public static List<JmhResult> unpaired(List<Comparison> rows, List<JmhResult> results) {
    Set<JmhResult> used = new LinkedHashSet<>();
    for (Comparison row : rows) {
      used.add(row.ours());
      if (row.anchor() != null) {
        used.add(row.anchor());
      }
    }
    List<JmhResult> rest = new ArrayList<>();
    for (JmhResult r : results) {
      if (!used.contains(r)) {
        rest.add(r);
      }
    }
    return rest;
  }

  static Comparison evaluate(Goal goal, JmhResult ours, JmhResult anchor) {
    double ratio = Double.NaN;
    double ratioError = Double.NaN;
    if (anchor != null) {
      OptionalDouble oursNs = ours.nanosPerOp();
      OptionalDouble anchorNs = anchor.nanosPerOp();
      if (oursNs.isPresent() && anchorNs.isPresent()) {
        ratio =
            goal.kind() == Goal.Kind.THROUGHPUT_AT_LEAST
                ? anchorNs.getAsDouble() / oursNs.getAsDouble()
                : oursNs.getAsDouble() / anchorNs.getAsDouble();
        // relative errors of a quotient add in quadrature (first-order propagation)
        ratioError = ratio * Math.hypot(ours.relativeError(), anchor.relativeError());
      }
    }
    double ratioMin = Double.NaN;
    double ratioMax = Double.NaN;
    if (anchor != null && ours.forks() >= 2 && anchor.forks() >= 2) {
      OptionalDouble oFast = ours.fastestNanosPerOp();
      OptionalDouble oSlow = ours.slowestNanosPerOp();
      OptionalDouble aFast = anchor.fastestNanosPerOp();
      OptionalDouble aSlow = anchor.slowestNanosPerOp();
      if (oFast.isPresent() && oSlow.isPresent() && aFast.isPresent() && aSlow.isPresent()) {
        if (goal.kind() == Goal.Kind.THROUGHPUT_AT_LEAST) {
          ratioMin = aFast.getAsDouble() / oSlow.getAsDouble(); // worst for us
          ratioMax = aSlow.getAsDouble() / oFast.getAsDouble();
        } else {
          ratioMin = oFast.getAsDouble() / aSlow.getAsDouble(); // best for us
          ratioMax = oSlow.getAsDouble() / aFast.getAsDouble();
        }
      }
    }
    Verdict verdict;
    switch (goal.kind()) {
      case INFO:
        verdict = Verdict.INFO;
        break;
      case NANOS_AT_MOST:
        OptionalDouble ns = ours.nanosPerOp();
        verdict =
            ns.isPresent() && ns.getAsDouble() <= goal.bound() ? Verdict.MET : Verdict.NOT_MET;
        break;
      case THROUGHPUT_AT_LEAST:
        verdict =
            Double.isNaN(ratio)
                ? Verdict.NO_ANCHOR
                : ratio >= goal.bound() ? Verdict.MET : Verdict.NOT_MET;
        break;
      case TIME_AT_MOST:
        verdict =
            Double.isNaN(ratio)
                ? Verdict.NO_ANCHOR
                : ratio <= goal.bound() ? Verdict.MET : Verdict.NOT_MET;
        break;
      default:
        throw new IllegalStateException("unknown kind " + goal.kind());
    }
    return new Comparison(goal, ours, anchor, ratio, ratioError, ratioMin, ratioMax, verdict);
  }

  private static JmhResult findAnchor(
      Goal goal, JmhResult ours, List<JmhResult> results) {
    for (JmhResult candidate : results) {
      if (candidate == ours
          || candidate.threads() != ours.threads()
          || !matches(candidate, goal.anchor(), goal.anchorParams())) {
        continue;
      }
      if (sameFreeParams(goal, ours, candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /** Parameters both sides have and no side pins must be equal. */
  private static boolean sameFreeParams(Goal goal, JmhResult ours, JmhResult anchor) {
    for (Map.Entry<String, String> e : ours.params().entrySet()) {
      String key = e.getKey();
      if (goal.oursParams().containsKey(key) || goal.anchorParams().containsKey(key)) {
        continue;
      }
      String other = anchor.params().get(key);
      if (other != null && !other.equals(e.getValue())) {
        return false;
      }
    }
    return true;
  }

  private static boolean matches(JmhResult r, String name, Map<String, String> pinned) {
    if (!r.shortName().equals(name)) {
      return false;
    }
    for (Map.Entry<String, String> e : pinned.entrySet()) {
      if (!e.getValue().equals(r.params().get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
