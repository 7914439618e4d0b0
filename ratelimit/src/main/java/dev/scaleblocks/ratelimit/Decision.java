package dev.scaleblocks.ratelimit;

import static dev.scaleblocks.core.internal.Checks.requireNonNegative;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import java.time.Duration;

/**
 * The outcome of one rate-limit decision, carrying everything the IETF {@code RateLimit} /
 * {@code RateLimit-Policy} headers and {@code Retry-After} need.
 *
 * <p>When a policy has several limits (10/s and 1000/h), the numbers describe the <em>binding</em>
 * limit: the one with the fewest permits remaining (on rejection, the one that rejected).
 *
 * <p>Immutable and thread-safe.
 */
public final class Decision {

  private final boolean allowed;
  private final boolean shadowRejected;
  private final String policyName;
  private final long limit;
  private final long remaining;
  private final Duration window;
  private final Duration resetAfter;
  private final Duration retryAfter;

  private Decision(
      boolean allowed,
      boolean shadowRejected,
      String policyName,
      long limit,
      long remaining,
      Duration window,
      Duration resetAfter,
      Duration retryAfter) {
    this.allowed = allowed;
    this.shadowRejected = shadowRejected;
    this.policyName = requireNonNull(policyName, "policyName");
    this.limit = requireNonNegative(limit, "limit");
    this.remaining = requireNonNegative(remaining, "remaining");
    this.window = requireNonNegative(window, "window");
    this.resetAfter = requireNonNegative(resetAfter, "resetAfter");
    this.retryAfter = requireNonNegative(retryAfter, "retryAfter");
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
    return new Decision(true, true, policyName, limit, remaining, window, resetAfter, retryAfter);
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

  /** Time until the binding limit's quota is fully available again ({@code t}). */
  public Duration resetAfter() {
    return resetAfter;
  }

  /** Time until a request of the same size could be admitted; zero when allowed. */
  public Duration retryAfter() {
    return retryAfter;
  }

  @Override
  public String toString() {
    return "Decision{"
        + (allowed ? (shadowRejected ? "shadow-rejected" : "allowed") : "rejected")
        + ", policy=" + policyName
        + ", limit=" + limit
        + ", remaining=" + remaining
        + ", window=" + window
        + ", resetAfter=" + resetAfter
        + ", retryAfter=" + retryAfter
        + '}';
  }
}
