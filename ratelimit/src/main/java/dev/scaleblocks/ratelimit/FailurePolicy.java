package dev.scaleblocks.ratelimit;

/**
 * What a Redis-backed limiter decides when Redis cannot answer within the store timeout (down,
 * paused, too slow, its circuit breaker open, or the limiter's bounded store queue full). Chosen
 * per limiter with {@link RateLimiterBuilder#failurePolicy}; an enum, immutable and thread-safe.
 */
public enum FailurePolicy {
  /** Admit every request (Envoy's default): the API stays up, limits are not enforced meanwhile. */
  FAIL_OPEN,
  /** Reject every request, with {@code Retry-After} of one second: limits hold, the API does not. */
  FAIL_CLOSED,
  /**
   * Decide with an in-memory limiter of the same algorithm at {@code quota / instances} per
   * instance (see {@link RateLimiterBuilder#localFallback(int)}): roughly the same total limit
   * while each instance counts on its own.
   */
  LOCAL_FALLBACK
}
