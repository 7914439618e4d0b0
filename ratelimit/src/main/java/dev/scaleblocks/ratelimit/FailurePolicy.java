package dev.scaleblocks.ratelimit;

/**
 * What a Redis-backed limiter decides when Redis does not answer: it failed, did not answer within
 * the store timeout, or its circuit breaker is open. Chosen per limiter with {@link
 * RateLimiterBuilder#failurePolicy}; an enum, immutable and thread-safe.
 *
 * <p>A client too busy to send a call to Redis within the store timeout (no store thread free,
 * queue full, a lease lock held) is not a Redis failure: such a request is decided by the local
 * share ({@code quota / instances}, see {@link RateLimiterBuilder#instances(int)}), or rejected
 * under {@link #FAIL_CLOSED}, and the breaker is not told.
 */
public enum FailurePolicy {
  /**
   * Admit every request once the breaker has opened (Envoy's default): the API stays up, limits
   * are not enforced meanwhile. A call that failed while the breaker is still closed is decided by
   * the local share.
   */
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
