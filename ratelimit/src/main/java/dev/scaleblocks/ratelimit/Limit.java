package dev.scaleblocks.ratelimit;

import static dev.scaleblocks.core.internal.Checks.requireNonNegative;
import static dev.scaleblocks.core.internal.Checks.requirePositive;

import java.time.Duration;
import java.util.Objects;

/**
 * One limit of a policy: {@code quota} permits per {@code period}, plus an optional {@code burst}
 * that token-bucket-like algorithms may admit on top of the quota after a quiet spell.
 *
 * <p>Immutable and thread-safe.
 */
public final class Limit {

  private final long quota;
  private final Duration period;
  private final long burst;

  private Limit(long quota, Duration period, long burst) {
    this.quota = requirePositive(quota, "quota");
    this.period = requirePositive(period, "period");
    this.burst = requireNonNegative(burst, "burst");
    if (period.toMillis() < 1) {
      throw new IllegalArgumentException("period must be at least 1ms but was " + period);
    }
    if (quota > Long.MAX_VALUE - burst) {
      throw new IllegalArgumentException("quota + burst overflows: " + quota + " + " + burst);
    }
  }

  /** {@code quota} permits per {@code period}. */
  public static Limit of(long quota, Duration period) {
    return new Limit(quota, period, 0);
  }

  /** The same limit admitting up to {@code burst} more permits after a quiet spell. */
  public Limit withBurst(long burst) {
    return new Limit(quota, period, burst);
  }

  public long quota() {
    return quota;
  }

  public Duration period() {
    return period;
  }

  public long burst() {
    return burst;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Limit other
        && quota == other.quota
        && burst == other.burst
        && period.equals(other.period);
  }

  @Override
  public int hashCode() {
    return Objects.hash(quota, period, burst);
  }

  @Override
  public String toString() {
    return quota + "/" + period + (burst > 0 ? " burst " + burst : "");
  }
}
