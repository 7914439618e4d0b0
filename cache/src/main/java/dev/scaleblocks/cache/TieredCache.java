package dev.scaleblocks.cache;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A read-through cache with a bounded in-process L1 (Caffeine) and an optional shared L2 (Redis,
 * standalone or Cluster), kept coherent across instances by invalidation messages over Redis
 * pub/sub.
 *
 * <h2>Reads</h2>
 *
 * An L1 hit returns at once without I/O or allocation. An L1 miss costs one Redis round trip (GET
 * and PTTL pipelined: freshness is decided by Redis' clock, not by any instance's); an L2 miss
 * calls the loader once per key per JVM however many threads miss together (and once per cluster
 * with the optional lease), then writes both tiers. A loader that returns {@code null} caches a
 * negative entry for the negative TTL; a loader that throws passes its exception to the caller and
 * caches nothing, unless stale-if-error has an older value to serve.
 *
 * <h2>Failures</h2>
 *
 * Every Redis call goes through a circuit breaker. When Redis is down or slow the breaker opens, L2
 * calls fail fast, L1 hits and loaders keep serving and no Redis error reaches the caller. Until it
 * opens, a call waits at most the L2 timeout for a pooled connection plus the client's socket
 * timeout. A write that could not reach Redis is counted and logged, not thrown, and repaired when
 * Redis answers again; a load whose L2 read failed does not write L2.
 *
 * <h2>Coherence</h2>
 *
 * {@link #put}, {@link #invalidate} and {@link #invalidateAll()} update the L2 and tell every
 * other instance to drop the keys from its L1. A lost message (a sequence gap, a dropped
 * subscription) makes the affected instances clear their L1, so no instance serves a value older
 * than the L1 TTL after a missed invalidation, and usually far less.
 *
 * <p>Thread-safe. Close it to stop its invalidation threads and executors and to remove its meters;
 * the Redis client is the caller's and is left open.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface TieredCache<K, V> extends AutoCloseable {

  /** Starts a builder; see {@link TieredCacheBuilder} for every option and its default. */
  static TieredCacheBuilder<Object, Object> builder() {
    return TieredCacheBuilder.newBuilder();
  }

  /** The cache's name, used in Redis keys, the invalidation channel and metric tags. */
  String name();

  /** This instance's id, carried by its invalidation messages. */
  String instanceId();

  /**
   * Returns the value for {@code key}, loading it through L2 and then {@code loader} when absent.
   *
   * @return the value, or {@code null} when the loader found nothing (a negative entry)
   */
  @Nullable V get(K key, Function<? super K, ? extends @Nullable V> loader);

  /**
   * As {@link #get(Object, Function)}; a value (or negative entry) the call loads is written with
   * {@code tags}, so that {@link #invalidateByTag} of any of them drops it. A value already cached
   * keeps the tags it was written with. Concurrent loads of one key share the first one's tags.
   *
   * @param tags at most 32 tags, each 1 to 256 characters; empty: as {@link #get(Object, Function)}
   * @throws UnsupportedOperationException by default: an implementation without tags
   */
  default @Nullable V get(K key, Function<? super K, ? extends @Nullable V> loader, Set<String> tags) {
    throw new UnsupportedOperationException("tags are not supported by " + getClass().getName());
  }

  /**
   * As {@link #get(Object, Function)}, with {@code timeouts} in place of the cache's {@linkplain
   * TieredCacheBuilder#loadSoftTimeout load timeouts} for this call ({@link LoadTimeouts#none()}
   * to wait however long the load takes). When a timeout applies the load runs on the cache's
   * executor while this thread waits, and goes on after the caller stopped waiting.
   *
   * @throws CacheLoadTimeoutException when the hard timeout passed and there was no stale value
   * @throws UnsupportedOperationException by implementations other than the built ones
   */
  default @Nullable V get(K key, Function<? super K, ? extends @Nullable V> loader, LoadTimeouts timeouts) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support load timeouts");
  }

  /** As {@link #get}, with the entry's version and write time; {@code null} for a negative entry. */
  @Nullable CacheEntry<V> getEntry(K key, Function<? super K, ? extends @Nullable V> loader);

  /** The value in L1 or else L2, never loading; {@code null} when absent or negatively cached. */
  @Nullable V getIfPresent(K key);

  /** As {@link #getIfPresent}, with the entry's version and write time. */
  @Nullable CacheEntry<V> getEntryIfPresent(K key);

  /**
   * Returns the values of {@code keys}: L1 hits first, then one pipelined round trip per Redis node
   * for the rest, then one {@code bulkLoader} call for what is still missing. Keys the loader
   * leaves out are cached as negative entries and absent from the result.
   */
  Map<K, V> getAll(
      Collection<? extends K> keys,
      Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> bulkLoader);

  /** Writes {@code value} to both tiers and invalidates the key in every other instance's L1. */
  void put(K key, V value);

  /**
   * As {@link #put(Object, Object)}, the value written with {@code tags}: {@link #invalidateByTag}
   * of any of them drops it from both tiers on every instance. With an L2 this adds one round trip
   * per Redis node that holds one of the tags' sets (the key is filed under each tag after the
   * value is written).
   *
   * @param tags at most 32 tags, each 1 to 256 characters; empty: as {@link #put(Object, Object)}
   * @throws UnsupportedOperationException by default: an implementation without tags
   */
  default void put(K key, V value, Set<String> tags) {
    throw new UnsupportedOperationException("tags are not supported by " + getClass().getName());
  }

  /** {@link #put} for every mapping, with one Redis pipeline and one invalidation message. */
  void putAll(Map<? extends K, ? extends V> values);

  /** Removes {@code key} from both tiers and from every other instance's L1. */
  void invalidate(K key);

  /** Removes {@code keys} from both tiers and from every other instance's L1. */
  void invalidateAll(Collection<? extends K> keys);

  /**
   * Removes everything: clears this L1, tells every other instance to clear its L1 and deletes
   * this cache's keys from Redis (a SCAN over every node: costly on a big Redis).
   */
  void invalidateAll();

  /**
   * Removes every entry written with {@code tag} (by {@link #put(Object, Object, Set)} or a load
   * through {@link #get(Object, Function, Set)}) from this L1, from every other instance's L1 and
   * from Redis. Entries without the tag stay. Cost: proportional to the entries carrying the tag,
   * never to the size of Redis: one script per 1 000 of its entries on the node that holds the
   * tag, then their tombstones node by node, then one message. A put or a load racing the call
   * either is dropped by it or comes after it, never leaves a tagged value no later invalidation
   * finds. When Redis cannot be reached the L1s are still cleared of the tag and the Redis part is
   * repaired when it answers again.
   *
   * @param tag 1 to 256 characters
   * @throws UnsupportedOperationException by default: an implementation without tags
   */
  default void invalidateByTag(String tag) {
    throw new UnsupportedOperationException("tags are not supported by " + getClass().getName());
  }

  /**
   * As {@link #get}, never blocking the calling thread on Redis: an L1 hit completes at once; a
   * miss runs on the cache's bounded executor (the loader too). When that executor is saturated
   * the miss skips Redis and calls the loader on the calling thread.
   */
  CompletableFuture<@Nullable V> getAsync(K key, Function<? super K, ? extends @Nullable V> loader);

  /**
   * As {@link #getAsync(Object, Function)}, with {@code timeouts} in place of the cache's for this
   * call (see {@link #get(Object, Function, LoadTimeouts)}). The returned future completes with the
   * stale value at the soft timeout, or with a {@link CacheLoadTimeoutException} at the hard
   * timeout, on the JDK's timer thread ({@link CompletableFuture#orTimeout}'s): do not block in
   * stages attached to it without an executor.
   *
   * @throws UnsupportedOperationException by implementations other than the built ones
   */
  default CompletableFuture<@Nullable V> getAsync(
      K key, Function<? super K, ? extends @Nullable V> loader, LoadTimeouts timeouts) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support load timeouts");
  }

  /**
   * As {@link #getAsync(Object, Function)} with a loader that returns a stage instead of blocking
   * (an asynchronous database or HTTP client): no thread waits for the load. One load per key per
   * instance however many callers miss together, whether they call this, {@link #get} or {@link
   * #getAsync}; the cache's load timeouts apply. The L2 read and the loader call run on the
   * calling thread with an L1-only cache, on the Redis client's I/O thread with Lettuce, on the
   * cache's executor with Jedis (or with {@link TieredCacheBuilder#clusterLease}, whose wait
   * blocks an executor thread until the stage completes); so the loader must return at once. Its
   * value is written to L1 on the thread that completes the stage, and to L2 from the cache's
   * executor (skipped when that is saturated: the L2 keeps what it had). A stage completing with
   * {@code null} caches a negative entry; a failed stage fails the returned future (or serves the
   * stale value with stale-if-error). Refresh-ahead with this loader waits for the stage on an
   * executor thread.
   *
   * @throws UnsupportedOperationException by implementations other than the built ones
   */
  default CompletableFuture<@Nullable V> getAsyncLoading(
      K key, Function<? super K, ? extends CompletionStage<? extends @Nullable V>> loader) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support async loaders");
  }

  /** As {@link #getAsyncLoading(Object, Function)} with {@code timeouts} in place of the cache's. */
  default CompletableFuture<@Nullable V> getAsyncLoading(
      K key, Function<? super K, ? extends CompletionStage<? extends @Nullable V>> loader,
      LoadTimeouts timeouts) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support async loaders");
  }

  /** As {@link #getEntry}, asynchronously as {@link #getAsync}. */
  CompletableFuture<@Nullable CacheEntry<V>> getEntryAsync(
      K key, Function<? super K, ? extends @Nullable V> loader);

  /** As {@link #getIfPresent}, asynchronously as {@link #getAsync}. */
  CompletableFuture<@Nullable V> getIfPresentAsync(K key);

  /**
   * As {@link #getAll}, asynchronously as {@link #getAsync} (over Lettuce the MGET is sent from the
   * calling thread; only the bulk load goes to the executor).
   */
  CompletableFuture<Map<K, V>> getAllAsync(
      Collection<? extends K> keys,
      Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> bulkLoader);

  /**
   * As {@link #put}: L1 at once on the calling thread, Redis on the cache's executor (over Lettuce:
   * sent from the calling thread, completing on Lettuce's I/O thread, no executor).
   */
  CompletableFuture<Void> putAsync(K key, V value);

  /**
   * As {@link #invalidate}: L1 at once on the calling thread, Redis on the cache's executor (over
   * Lettuce: sent from the calling thread, completing on Lettuce's I/O thread, no executor).
   */
  CompletableFuture<Void> invalidateAsync(K key);

  /** Approximate number of entries in this instance's L1. */
  long estimatedL1Size();

  /** Stops the invalidation threads and executors. Idempotent. */
  @Override
  void close();
}
