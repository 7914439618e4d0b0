package dev.scaleblocks.ratelimit;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Decides whether a request identified by a key may proceed under a {@link RateLimitPolicy}.
 *
 * <p>Start with {@link #builder(RateLimitPolicy)}:
 *
 * {@snippet :
 * RateLimitPolicy policy = RateLimitPolicy.builder("api")
 *     .limit(100, Duration.ofMinutes(15))   // 100 requests per 15 minutes ...
 *     .limit(10, Duration.ofSeconds(1))     // ... and at most 10 per second, all or nothing
 *     .algorithm(Algorithm.SLIDING_WINDOW)
 *     .build();
 *
 * RateLimiter local = RateLimiter.builder(policy).local().build();
 *
 * RateLimiter shared = RateLimiter.builder(policy)
 *     .redis(RedisClient.create("localhost", 6379))   // or a RedisClusterClient
 *     .failurePolicy(FailurePolicy.FAIL_OPEN)
 *     .build();
 *
 * Decision d = shared.tryAcquire(clientIp);
 * if (!d.allowed()) {
 *   // 429, Retry-After: d.retryAfter()
 * }
 * }
 *
 * <p>Implementations are thread-safe. The cost of a decision depends on the store: a local store
 * decides in memory (tens of nanoseconds plus a map lookup); a Redis store makes exactly one
 * round trip (one {@code EVALSHA}) unless leasing serves the permit locally. Every method throws
 * {@link NullPointerException} / {@link IllegalArgumentException} at once for a null or empty key,
 * non-positive permits, more permits than the policy's smallest capacity, or a key longer than
 * {@link RateLimiterBuilder#maxKeyLength(int)} (1024 characters by default), before any state is
 * touched or Redis is called.
 */
public interface RateLimiter extends AutoCloseable {

  /** A builder of a limiter enforcing {@code policy}; choose a store, then {@code build()}. */
  static RateLimiterBuilder builder(RateLimitPolicy policy) {
    return new RateLimiterBuilder(policy);
  }

  /**
   * Stops the limiter's store threads (a Redis store's; local limiters hold none) and removes the
   * meters it registered, so that a limiter of the same name may be built on the same registry.
   * Idempotent.
   */
  @Override
  default void close() {}


  /** Tries to take one permit for {@code key}; never waits. */
  default Decision tryAcquire(String key) {
    return tryAcquire(key, 1);
  }

  /** Tries to take {@code permits} for {@code key} from every limit of the policy, all or nothing; never waits. */
  Decision tryAcquire(String key, long permits);

  /**
   * Tries to take one permit for {@code key} and returns whether the request may proceed: {@code
   * tryAcquire(key).allowed()} without building the {@link Decision}, for callers that send no
   * rate-limit headers. Counted in the limiter's meters like {@code tryAcquire}; a shadow-mode
   * limiter returns true. Never waits.
   *
   * <p>Cost: a local limiter decides without allocating (a key lookup, the clock, the arithmetic
   * under the key's lock); a Redis limiter makes the same round trip as {@code tryAcquire}.
   */
  default boolean allow(String key) {
    return allow(key, 1);
  }

  /**
   * Tries to take {@code permits} for {@code key} from every limit of the policy, all or nothing,
   * and returns whether the request may proceed: {@code tryAcquire(key, permits).allowed()}
   * without building the {@link Decision} (see {@link #allow(String)}). Never waits.
   */
  default boolean allow(String key, long permits) {
    return tryAcquire(key, permits).allowed();
  }

  /**
   * The asynchronous form of {@link #tryAcquire(String, long)}: the calling thread never blocks on
   * a remote store, so it is safe on an event loop. The future completes on a store thread (or at
   * once for a local store).
   */
  CompletableFuture<Decision> tryAcquireAsync(String key, long permits);

  /**
   * Takes {@code permits} for {@code key}, waiting up to {@code maxWait} for them to become
   * available (throttling rather than rejecting). Returns the admitting decision, or the last
   * rejecting one when the permits could not be had within {@code maxWait}.
   *
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  Decision acquire(String key, long permits, Duration maxWait) throws InterruptedException;

  /**
   * Gives back the permits {@code decision} took, because the work it admitted did not happen (the
   * upstream failed, the request was cancelled), so that they can admit another request; returns
   * whether anything was given back. Waits for a remote store's round trip (at most the store
   * timeout); {@link #refundAsync} does not.
   *
   * <p>A refund is tied to the decision rather than to a key, so that nothing can be given back
   * that was not taken: a decision that did not take permits (rejected, shadow-rejected, admitted
   * blindly by {@link FailurePolicy#FAIL_OPEN}, or made by hand with {@link Decision#allowed})
   * gives nothing back, and one admission is given back at most once, whichever thread refunds it
   * and however often. Permits go back where they were taken (Redis, a local lease, the local
   * share) and only as far as the algorithm can still tell them apart: a token bucket or GCRA
   * never above its capacity, a fixed window only while the admission's window lasts, a sliding
   * window while that window is the current or the previous one. So admissions minus refunds never
   * exceed what the policy allows. A refund that cannot be made (Redis failed or did not answer,
   * its breaker is open) is not made: the quota stays spent.
   *
   * @throws IllegalArgumentException if {@code decision} was made by another limiter
   */
  default boolean refund(Decision decision) {
    return refundAsync(decision).join();
  }

  /**
   * The asynchronous form of {@link #refund(Decision)}: never blocks the calling thread, so it is
   * safe on an event loop; the future completes on a store thread, on the Redis client's thread,
   * or at once, and never exceptionally. Limiters that keep no counters give nothing back.
   *
   * @throws IllegalArgumentException if {@code decision} was made by another limiter
   */
  default CompletableFuture<Boolean> refundAsync(Decision decision) {
    return CompletableFuture.completedFuture(false);
  }

  /** The policy this limiter enforces. */
  RateLimitPolicy policy();
}
