package dev.scaleblocks.ratelimit;

import java.util.concurrent.CompletableFuture;

/** Turns a request into an {@link Outcome}: directly (local) or through a remote store's guard. */
interface Decider {

  Outcome decide(String key, long permits);

  CompletableFuture<Outcome> decideAsync(String key, long permits);

  /** Decides and builds the decision through {@code out}. */
  default Decision decide(String key, long permits, Decisions out) {
    return out.of(decide(key, permits));
  }

  /** Decides and returns whether the caller proceeds, counted through {@code out}. */
  default boolean allow(String key, long permits, Decisions out) {
    return decide(key, permits, out).allowed();
  }

  default void close() {}

  /** A store that answers in memory, without I/O. */
  static Decider local(Store store) {
    return new Decider() {
      @Override
      public Outcome decide(String key, long permits) {
        return store.decide(key, permits, permits);
      }

      @Override
      public Decision decide(String key, long permits, Decisions out) {
        return store.decide(key, permits, out);
      }

      @Override
      public boolean allow(String key, long permits, Decisions out) {
        return store.allow(key, permits, out);
      }

      @Override
      public CompletableFuture<Outcome> decideAsync(String key, long permits) {
        return CompletableFuture.completedFuture(store.decide(key, permits, permits));
      }
    };
  }
}
