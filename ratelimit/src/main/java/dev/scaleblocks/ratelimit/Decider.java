package dev.scaleblocks.ratelimit;

import java.util.concurrent.CompletableFuture;

/**
 * The top of a decision path, what {@link DefaultRateLimiter} asks: turns a request into a {@link
 * StoreAnswer}, or straight into a counted {@link Decision} when it can skip the answer. Two
 * kinds: {@link #local} (an in-memory store, no I/O) and the {@link FallbackDecider} over a
 * guarded remote store. Implementations are thread-safe.
 */
interface Decider {

  /** Decides {@code permits} for {@code key}; never throws for a store's failure. */
  StoreAnswer decide(String key, long permits);

  /** {@link #decide(String, long)} without blocking the caller. */
  CompletableFuture<StoreAnswer> decideAsync(String key, long permits);

  /** Decides and builds the decision through {@code out}. */
  default Decision decide(String key, long permits, DecisionRecorder out) {
    return out.decision(decide(key, permits), key, permits);
  }

  /** Decides and returns whether the caller proceeds, counted through {@code out}. */
  default boolean allow(String key, long permits, DecisionRecorder out) {
    return out.count(decide(key, permits));
  }

  /**
   * Gives back {@code permits} for {@code key}, admitted at {@code atMillis} on the store's clock
   * from {@code origin}; the future tells whether anything was given back, and never completes
   * exceptionally (a refund that could not be made is one not made: the quota stays spent). Never
   * blocks the caller.
   */
  CompletableFuture<Boolean> refundAsync(String key, long permits, long atMillis, Origin origin);

  /** Releases what the path holds (store threads); the default holds nothing. */
  default void close() {}

  /**
   * Decides in {@code store}, in memory and on the caller's thread; a decision or an {@code allow}
   * of one limit builds no {@link StoreAnswer}.
   */
  static Decider local(LocalCounterStore store) {
    return new Decider() {
      @Override
      public StoreAnswer decide(String key, long permits) {
        return store.decide(key, permits, permits);
      }

      @Override
      public Decision decide(String key, long permits, DecisionRecorder out) {
        return store.decide(key, permits, out);
      }

      @Override
      public boolean allow(String key, long permits, DecisionRecorder out) {
        return store.allow(key, permits, out);
      }

      @Override
      public CompletableFuture<StoreAnswer> decideAsync(String key, long permits) {
        return CompletableFuture.completedFuture(store.decide(key, permits, permits));
      }

      @Override
      public CompletableFuture<Boolean> refundAsync(String key, long permits, long atMillis,
          Origin origin) {
        return CompletableFuture.completedFuture(store.refund(key, permits, atMillis));
      }
    };
  }
}
