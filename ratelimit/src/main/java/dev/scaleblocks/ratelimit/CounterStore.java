package dev.scaleblocks.ratelimit;

import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Answers a rate-limit decision from per-key counters: in memory ({@link LocalCounterStore}) or
 * with one script call to Redis ({@link RedisCounterStore}); a {@link LeasingStore} decorates
 * another store. Every implementation is thread-safe.
 *
 * <p>A store that waits or does I/O tells its caller what it is doing through {@link Progress}:
 * the {@link GuardedStore} needs to know whether a late call was waiting for a local slot (this
 * client is busy) or for Redis (Redis is sick).
 */
interface CounterStore {

  /**
   * Decides {@code permits} for {@code key} against every limit, all or nothing, taking up to
   * {@code maxPermits} (a lease) when that many are available. A store about to send anything to
   * Redis calls {@link Progress#enteringRedis()} first; an in-memory store never calls it.
   *
   * @throws LocalWaitTimeout when a local slot the call needs (a lease lock) could not be had in
   *     time; not a Redis failure
   * @throws InterruptedException when interrupted while waiting for such a slot
   */
  StoreAnswer decide(String key, long permits, long maxPermits, Progress progress)
      throws InterruptedException, LocalWaitTimeout;

  /**
   * Whether {@link #decideAsync} sends the call and returns at once (a Redis store over Lettuce),
   * so that a caller needs no thread of its own to wait on it. False by default.
   */
  default boolean nonBlocking() {
    return false;
  }

  /**
   * For a {@linkplain #nonBlocking() non-blocking} store: sends the decision of {@code permits}
   * (up to {@code maxPermits}) and returns; the future completes where the client completes it.
   * The call is in Redis from the moment this is called. Others do not support it.
   */
  default CompletableFuture<StoreAnswer> decideAsync(String key, long permits, long maxPermits) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " blocks: call decide");
  }

  /**
   * An answer this store can give from memory at once — no lock to wait for, no I/O — or null.
   * Only a {@link LeasingStore} has one (a lease's permits); the guard serves it on the caller's
   * thread, before the breaker and the executor.
   */
  default @Nullable StoreAnswer answerFromMemory(String key, long permits) {
    return null;
  }

  /**
   * Gives back {@code permits} for {@code key} that an admission took at {@code atMillis} on this
   * store's clock, as {@link CounterMath#refund} does (never above what a limit holds, only into
   * the window the admission counted in); returns whether anything was given back. Blocks for a
   * remote store's round trip. Stores that keep no state of their own do not support it.
   */
  default boolean refund(String key, long permits, long atMillis) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " holds no counters");
  }

  /**
   * For a {@linkplain #nonBlocking() non-blocking} store: {@link #refund} sent without waiting.
   * Others do not support it.
   */
  default CompletableFuture<Boolean> refundAsync(String key, long permits, long atMillis) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " blocks: call refund");
  }

  /**
   * Gives {@code permits} back into the lease {@code lease} in memory, at once, if it is still the
   * key's current lease; false otherwise (then the permits go back to where the lease took them
   * from). Only a {@link LeasingStore} has leases.
   */
  default boolean refundToMemory(String key, long permits, LeasingStore.Lease lease) {
    return false;
  }

  /** Keys held in memory (approximately), or -1 for a remote store. */
  default long keys() {
    return -1;
  }

  /** What a running {@link #decide} call tells its caller. */
  @FunctionalInterface
  interface Progress {
    /** Nobody listens: for an in-memory store, or a caller without a guard. */
    Progress NONE = () -> { };

    /** The call leaves for Redis now: from here on, its time counts against Redis. */
    void enteringRedis();
  }

  /** A local slot (a lock, a pool) could not be had in time; not a Redis failure. */
  final class LocalWaitTimeout extends Exception {
    private static final long serialVersionUID = 1L;

    /** The message, non-null (unlike {@link #getMessage()} in general). */
    final String reason;

    LocalWaitTimeout(String message) {
      super(message, null, false, false);
      this.reason = message;
    }
  }
}
