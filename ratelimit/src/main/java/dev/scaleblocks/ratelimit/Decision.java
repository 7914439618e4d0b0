package dev.scaleblocks.ratelimit;

import static dev.scaleblocks.core.internal.Checks.requireNonNegative;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one rate-limit decision, carrying everything the IETF {@code RateLimit} /
 * {@code RateLimit-Policy} headers and {@code Retry-After} need.
 *
 * <p>When a policy has several limits (10/s and 1000/h), the numbers describe the <em>binding</em>
 * limit: the one with the fewest permits remaining (on rejection, the one that rejected).
 *
 * <p>A decision a limiter admitted carries what {@link RateLimiter#refund(Decision)} needs to give
 * its permits back, once; decisions made with the public factories carry nothing to refund.
 *
 * <p>Immutable (but for that once-only refund claim) and thread-safe.
 */
public final class Decision {

  private final boolean allowed;
  private final boolean shadowRejected;
  private final String policyName;
  private final long limit;
  private final long remaining;
  private final Duration window;
  // milliseconds, turned into Durations only when asked for: most callers read allowed() alone
  private final long resetAfterMillis;
  private final long retryAfterMillis;
  /** What a refund gives back; null when nothing was taken or the decision was made by hand. */
  private final @Nullable Admission admission;

  private Decision(
      boolean allowed,
      boolean shadowRejected,
      String policyName,
      long limit,
      long remaining,
      Duration window,
      Duration resetAfter,
      Duration retryAfter) {
    this(allowed, shadowRejected, policyName, limit, remaining, window,
        millisCeil(requireNonNegative(resetAfter, "resetAfter")),
        millisCeil(requireNonNegative(retryAfter, "retryAfter")), null);
  }

  private Decision(
      boolean allowed,
      boolean shadowRejected,
      String policyName,
      long limit,
      long remaining,
      Duration window,
      long resetAfterMillis,
      long retryAfterMillis,
      @Nullable Admission admission) {
    this.allowed = allowed;
    this.shadowRejected = shadowRejected;
    this.policyName = requireNonNull(policyName, "policyName");
    this.limit = requireNonNegative(limit, "limit");
    this.remaining = requireNonNegative(remaining, "remaining");
    this.window = requireNonNegative(window, "window");
    this.resetAfterMillis = requireNonNegative(resetAfterMillis, "resetAfter");
    this.retryAfterMillis = requireNonNegative(retryAfterMillis, "retryAfter");
    this.admission = admission;
  }

  /** The limiter's own factory: times already whole milliseconds. */
  static Decision of(boolean allowed, String policyName, long limit, long remaining,
      Duration window, long resetAfterMillis, long retryAfterMillis) {
    return new Decision(allowed, false, policyName, limit, remaining, window, resetAfterMillis,
        allowed ? 0 : retryAfterMillis, null);
  }

  /** The limiter's factory for an admission that took permits, which a refund may give back. */
  static Decision admitted(String policyName, long limit, long remaining, Duration window,
      long resetAfterMillis, Admission admission) {
    return new Decision(true, false, policyName, limit, remaining, window, resetAfterMillis, 0,
        admission);
  }

  /** What a refund of this decision gives back, or null (see {@link RateLimiter#refund}). */
  @Nullable Admission admission() {
    return admission;
  }

  /** Durations are kept in whole milliseconds, rounded up (HTTP headers count seconds anyway). */
  private static long millisCeil(Duration d) {
    if (d.toSeconds() >= Long.MAX_VALUE / 1000 - 1) {
      return Long.MAX_VALUE / 1000 * 1000; // far future; still a valid Duration in millis
    }
    long millis = d.toMillis();
    return d.equals(Duration.ofMillis(millis)) ? millis : millis + 1;
  }

  /** A decision that admitted the request. */
  public static Decision allowed(
      String policyName, long limit, long remaining, Duration window, Duration resetAfter) {
    return new Decision(true, false, policyName, limit, remaining, window, resetAfter, Duration.ZERO);
  }

  /** A decision that rejected the request; the caller may retry after {@code retryAfter}. */
  public static Decision rejected(
      String policyName, long limit, long remaining, Duration window, Duration resetAfter,
      Duration retryAfter) {
    return new Decision(false, false, policyName, limit, remaining, window, resetAfter, retryAfter);
  }

  /**
   * The same decision, admitted because its limiter runs in shadow (dry-run) mode; {@link
   * #shadowRejected()} tells that it would have been rejected.
   */
  public Decision asShadow() {
    if (allowed) {
      return this;
    }
    return new Decision(true, true, policyName, limit, remaining, window, resetAfterMillis,
        retryAfterMillis, null);
  }

  /** Whether the request may proceed. */
  public boolean allowed() {
    return allowed;
  }

  /** True when a shadow-mode limiter admitted a request its policy would have rejected. */
  public boolean shadowRejected() {
    return shadowRejected;
  }

  /** The name of the policy that decided ({@code RateLimit-Policy} item name). */
  public String policyName() {
    return policyName;
  }

  /** The binding limit's quota: permits per {@link #window()} ({@code q}). */
  public long limit() {
    return limit;
  }

  /** Permits left in the binding limit after this decision ({@code r}). */
  public long remaining() {
    return remaining;
  }

  /** The binding limit's period ({@code w}). */
  public Duration window() {
    return window;
  }

  /**
   * Time until more of the binding limit's quota is made available: the {@code t} parameter of
   * draft-ietf-httpapi-ratelimit-headers-10 (§4.1.2), not the time until the limit is full. For a
   * token bucket the next token, for GCRA the next permit's worth of drained debt, for a fixed
   * window the window's end, for a sliding window the next drop of its estimate; zero when the
   * limit is full. For a rejection it is never longer than {@link #retryAfter()}.
   */
  public Duration resetAfter() {
    return Duration.ofMillis(resetAfterMillis);
  }

  /** Time until a request of the same size could be admitted; zero when allowed. */
  public Duration retryAfter() {
    return Duration.ofMillis(retryAfterMillis);
  }

  @Override
  public String toString() {
    return "Decision{"
        + (allowed ? (shadowRejected ? "shadow-rejected" : "allowed") : "rejected")
        + ", policy=" + policyName
        + ", limit=" + limit
        + ", remaining=" + remaining
        + ", window=" + window
        + ", resetAfter=" + resetAfter()
        + ", retryAfter=" + retryAfter()
        + '}';
  }
}
