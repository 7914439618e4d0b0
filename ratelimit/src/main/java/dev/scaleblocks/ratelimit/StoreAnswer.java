package dev.scaleblocks.ratelimit;

/**
 * A counter store's answer to one request, before it becomes a {@link Decision}: times in
 * milliseconds, the binding limit by index. {@code granted} is the number of permits taken (more
 * than asked for when a lease was taken). {@code nowMillis} is the store's clock at the decision.
 *
 * <p>The one type every piece of a decision path speaks: a local or Redis {@link CounterStore}
 * answers with it, a {@link LeasingStore} serves its leases as it, the {@link GuardedStore} passes
 * it on as {@link GuardedStore.Answered}, and the {@link FallbackDecider} makes one up when the
 * store did not answer. {@link DecisionRecorder} turns it into a {@code Decision}, once, at the top.
 * {@code origin} tells where an admission's permits came from, for a refund ({@link
 * Origin.Place#STORE} unless said otherwise). Immutable.
 */
record StoreAnswer(
    boolean allowed,
    long granted,
    int binding,
    long limit,
    long remaining,
    long resetMillis,
    long retryMillis,
    long nowMillis,
    Origin origin) {

  /** An answer of the store itself. */
  StoreAnswer(boolean allowed, long granted, int binding, long limit, long remaining,
      long resetMillis, long retryMillis, long nowMillis) {
    this(allowed, granted, binding, limit, remaining, resetMillis, retryMillis, nowMillis,
        Origin.Place.STORE);
  }

  /** The same answer, its permits taken from {@code from}. */
  StoreAnswer from(Origin from) {
    return new StoreAnswer(allowed, granted, binding, limit, remaining, resetMillis, retryMillis,
        nowMillis, from);
  }
}
