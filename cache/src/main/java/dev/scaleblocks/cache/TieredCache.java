package dev.scaleblocks.cache;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
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
   * As {@link #get}, never blocking the calling thread on Redis: an L1 hit completes at once; a
   * miss runs on the cache's bounded executor (the loader too). When that executor is saturated
   * the miss skips Redis and calls the loader on the calling thread.
   */
  CompletableFuture<@Nullable V> getAsync(K key, Function<? super K, ? extends @Nullable V> loader);

  /** As {@link #getEntry}, asynchronously as {@link #getAsync}. */
  CompletableFuture<@Nullable CacheEntry<V>> getEntryAsync(
      K key, Function<? super K, ? extends @Nullable V> loader);

  /** As {@link #getIfPresent}, asynchronously as {@link #getAsync}. */
  CompletableFuture<@Nullable V> getIfPresentAsync(K key);

  /** As {@link #getAll}, asynchronously as {@link #getAsync}. */
  CompletableFuture<Map<K, V>> getAllAsync(
      Collection<? extends K> keys,
      Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> bulkLoader);

  /** As {@link #put}: L1 at once on the calling thread, Redis on the cache's executor. */
  CompletableFuture<Void> putAsync(K key, V value);

  /** As {@link #invalidate}: L1 at once on the calling thread, Redis on the cache's executor. */
  CompletableFuture<Void> invalidateAsync(K key);

  /** Approximate number of entries in this instance's L1. */
  long estimatedL1Size();

  /** Stops the invalidation threads and executors. Idempotent. */
  @Override
  void close();
}
