package dev.scaleblocks.ratelimit;

/**
 * Turns a store's numbers into a {@link Decision} (and counts it) without an intermediate {@link
 * Outcome}: the local stores call it directly, so an in-memory decision allocates only the
 * {@code Decision} it returns, and {@link RateLimiter#allow} (the {@code count} methods) nothing.
 */
interface Decisions {

  /** An admitted request; times in milliseconds. */
  Decision allowed(int binding, long limit, long remaining, long resetMillis);

  /** A rejected request; times in milliseconds. */
  Decision rejected(int binding, long limit, long remaining, long resetMillis, long retryMillis);

  /**
   * Counts an admitted request without building a decision ({@link RateLimiter#allow}); returns
   * true.
   */
  boolean countAllowed(long limit, long remaining);

  /**
   * Counts a rejected request without building a decision; returns whether the caller proceeds
   * anyway (a shadow-mode limiter).
   */
  boolean countRejected();

  /** Counts an outcome; returns whether the caller proceeds. */
  default boolean count(Outcome o) {
    return o.allowed() ? countAllowed(o.limit(), o.remaining()) : countRejected();
  }

  /** The same for an outcome built by a store that has one anyway (Redis, leases). */
  default Decision of(Outcome o) {
    return o.allowed()
        ? allowed(o.binding(), o.limit(), o.remaining(), o.resetMillis())
        : rejected(o.binding(), o.limit(), o.remaining(), o.resetMillis(), o.retryMillis());
  }
}
