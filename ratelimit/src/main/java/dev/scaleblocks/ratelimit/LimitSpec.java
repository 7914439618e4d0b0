package dev.scaleblocks.ratelimit;

import java.time.Duration;

/**
 * A {@link Limit} normalised for arithmetic: quota {@code q} per {@code periodMillis}, capacity
 * {@code c} (quota plus burst for the bucket algorithms, quota for the windows).
 */
record LimitSpec(long quota, long periodMillis, long capacity, Duration period) {

  /** Products {@code capacity × period} stay below this so that Lua's doubles compute them exactly. */
  static final long MAX_EXACT = 1L << 53;

  static LimitSpec of(Limit limit, Algorithm algorithm) {
    Duration period = limit.period();
    long millis = period.toMillis();
    if (!Duration.ofMillis(millis).equals(period)) {
      throw new IllegalArgumentException(
          "period must be a whole number of milliseconds but was " + period);
    }
    boolean windows = algorithm == Algorithm.FIXED_WINDOW || algorithm == Algorithm.SLIDING_WINDOW;
    if (windows && limit.burst() > 0) {
      throw new IllegalArgumentException(
          "burst applies to TOKEN_BUCKET and GCRA only, but " + algorithm + " limit " + limit
              + " has burst " + limit.burst());
    }
    long capacity = windows ? limit.quota() : limit.quota() + limit.burst();
    if (capacity > MAX_EXACT / millis) {
      throw new IllegalArgumentException(
          "limit " + limit + " is too large: (quota + burst) × period in ms must not exceed 2^53 but was "
              + capacity + " × " + millis);
    }
    return new LimitSpec(limit.quota(), millis, capacity, period);
  }
}
