package dev.scaleblocks.ratelimit;

import java.util.concurrent.CompletableFuture;

/** Where a limiter keeps per-key state and decides. Implementations are thread-safe. */
interface Store {

  /**
   * Decides {@code permits} for {@code key} against every limit, all or nothing, taking up to
   * {@code maxPermits} (a lease) when that many are available.
   */
  Outcome decide(String key, long permits, long maxPermits);

  /**
   * {@link #decide(String, long, long)} as a future: completed here by default; a store over a
   * non-blocking client sends and returns, and completes it when Redis answers.
   */
  default CompletableFuture<Outcome> decideAsync(String key, long permits, long maxPermits) {
    return CompletableFuture.completedFuture(decide(key, permits, maxPermits));
  }

  /**
   * Decides {@code permits} for {@code key} (no lease) and builds the decision through {@code
   * out}; in-memory stores override it to skip the {@link Outcome}.
   */
  default Decision decide(String key, long permits, Decisions out) {
    return out.of(decide(key, permits, permits));
  }

  /**
   * Decides as {@link #decide(String, long, Decisions)} and returns whether the caller proceeds,
   * counted through {@code out}; in-memory stores override it to build no decision at all.
   */
  default boolean allow(String key, long permits, Decisions out) {
    return decide(key, permits, out).allowed();
  }

  /** Keys held in memory (approximately), or -1 for a remote store. */
  default long keys() {
    return -1;
  }
}
