package dev.scaleblocks.cache;

import static dev.scaleblocks.core.internal.Checks.requireNoNulls;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The asynchronous operations of one cache. A fresh L1 hit completes at once on the caller's
 * thread. Over a client whose L2 calls do not block (Lettuce), an L1 miss sends its L2 read from
 * the caller's thread and an L2 hit completes on the client's I/O thread; so do {@code putAsync},
 * {@code invalidateAsync} and a {@code getAllAsync} that both tiers answer, without the executor.
 * Everything that may block (a blocking L2 client, a load, the lease) runs on the cache's
 * executor; when that is saturated
 * (queue full, or a task waited more than a quarter of the L2 timeout) the operation runs without
 * Redis: reads from L1 and the loader, writes to L1, the other instances and the repair queue.
 *
 * <p>With {@link LoadTimeouts} a miss runs as above and {@link AsyncLoads#timed} puts the call's
 * deadlines on the returned future (the stale value it may serve is the L1's).
 *
 * <p>Thread-safe (no state of its own). Cost: an L1 hit allocates one completed future; anything
 * else one executor task (bounded queue) or one client future.
 */
final class AsyncView<K, V> {

  private final DefaultTieredCache<K, V> cache;
  private final L1Tier<K, V> l1;
  private final Encoding<K, V> encoding;
  private final CacheMetrics metrics;
  private final @Nullable L2Writer writer;
  private final Executor executor;
  private final long latestStartNanos;
  private final AsyncLoads<K, V> loads;

  AsyncView(DefaultTieredCache<K, V> cache, Executor executor, AsyncLoads<K, V> loads) {
    this.loads = loads;
    this.cache = cache;
    this.l1 = cache.l1;
    this.encoding = cache.encoding;
    this.metrics = cache.metrics;
    this.writer = cache.writer;
    this.executor = executor;
    this.latestStartNanos = cache.config.l2TimeoutNanos / 4;
  }

  CompletableFuture<@Nullable V> get(K key, Function<? super K, ? extends @Nullable V> loader) {
    return get(key, loader, cache.config.loadTimeouts);
  }

  CompletableFuture<@Nullable V> get(K key, Function<? super K, ? extends @Nullable V> loader,
      LoadTimeouts timeouts) {
    return entry(key, loader, timeouts).thenApply(e -> e.value);
  }

  CompletableFuture<@Nullable CacheEntry<V>> getEntry(K key, Function<? super K, ? extends @Nullable V> loader) {
    return entry(key, loader, cache.config.loadTimeouts).thenApply(e -> e.isNegative() ? null : e);
  }

  private CompletableFuture<L1Entry<V>> entry(K key, Function<? super K, ? extends @Nullable V> loader,
      LoadTimeouts timeouts) {
    encoding.checkKey(key);
    requireNonNull(loader, "loader");
    L1Entry<V> e = l1.getIfPresent(key);
    if (e != null && (!cache.timeChecks || cache.ticker.read() < e.refreshAt)) {
      metrics.l1Hits.increment();
      return CompletableFuture.completedFuture(e);
    }
    if (!timeouts.enabled()) {
      return untimed(key, loader, e);
    }
    long start = System.nanoTime();
    CompletableFuture<L1Entry<V>> load = untimed(key, loader, e);
    L1Entry<V> stale = e == null || load.isDone() ? null : cache.staleFallback(e, null);
    return loads.timed(key, load, stale, timeouts, start);
  }

  /** {@link #entry} without load timeouts: what runs under the deadlines when there are some. */
  private CompletableFuture<L1Entry<V>> untimed(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> e) {
    L2Writer w = writer;
    RedisTier t = w == null ? null : w.tier();
    if (e == null && t != null && t.nonBlocking() && !t.refusing() && !cache.loading(key)) {
      return missWithoutBlocking(key, loader, t);
    }
    return async(() -> cache.lookup(key, loader, LoadTimeouts.none()), () -> {
      metrics.l1Misses.increment();
      return cache.miss(key, loader, e, true, null);
    });
  }

  /**
   * An L1 miss on a client whose L2 read does not block (Lettuce): the read is sent from the
   * caller's thread and its answer handled on the client's I/O thread; an L2 hit completes there,
   * and only what may block (a load: user code, the lease) goes to the executor, with the read
   * already made. A miss that finds another load of the key in flight joins it on the executor.
   */
  private CompletableFuture<L1Entry<V>> missWithoutBlocking(
      K key, Function<? super K, ? extends @Nullable V> loader, RedisTier t) {
    metrics.l1Misses.increment();
    long stamp = l1.stamp(key);
    byte[] rkey = encoding.redisKey(encoding.encodeKey(key));
    return t.getAsync(rkey).thenCompose(read -> {
      if (!DefaultTieredCache.unavailable(read) && read.value() != null) {
        long now = cache.ticker.read();
        L1Entry<V> fromL2 = cache.fromEnvelope(read, now);
        if (fromL2 != null && now < fromL2.freshUntil) {
          metrics.l2Hits.increment();
          l1.install(key, fromL2, stamp, false); // L1 maintenance off this thread
          return CompletableFuture.completedFuture(fromL2);
        }
      }
      DefaultTieredCache.PriorRead prior = new DefaultTieredCache.PriorRead(stamp, rkey, t, read);
      return async(() -> cache.miss(key, loader, null, false, prior),
          () -> cache.miss(key, loader, null, true, null), true);
    });
  }

  CompletableFuture<@Nullable V> getIfPresent(K key) {
    encoding.checkKey(key);
    L1Entry<V> e = l1.getIfPresent(key);
    if (e != null && (!cache.timeChecks || cache.ticker.read() < e.freshUntil)) {
      metrics.l1Hits.increment();
      return CompletableFuture.completedFuture(e.value);
    }
    return async(() -> cache.getIfPresent(key), () -> null);
  }

  CompletableFuture<Map<K, V>> getAll(Collection<? extends K> keys,
      Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> bulkLoader) {
    BulkOps<K, V> bulk = cache.bulk;
    requireNoNulls(keys, "keys");
    requireNonNull(bulkLoader, "bulkLoader");
    bulk.checkKeys(keys);
    List<K> copy = List.copyOf(keys);
    L2Writer w = writer;
    if (w != null && w.tier().nonBlocking() && !w.tier().refusing()) {
      return getAllWithoutBlocking(copy, bulkLoader, w);
    }
    return async(() -> bulk.getAll(copy, bulkLoader, false), () -> bulk.getAll(copy, bulkLoader, true));
  }

  /**
   * {@code getAllAsync} on a client whose L2 calls do not block (Lettuce): L1 on the caller's
   * thread, the MGET sent from it and its answer taken on the client's I/O thread, where the result
   * completes when both tiers had every key; only the bulk load (user code) and its L2 write go to
   * the executor (saturated: the load runs on the common pool and writes nothing to L2).
   */
  private CompletableFuture<Map<K, V>> getAllWithoutBlocking(List<K> keys,
      Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> bulkLoader, L2Writer w) {
    BulkOps<K, V> bulk = cache.bulk;
    BulkOps<K, V>.Batch b;
    List<byte[]> rkeys;
    try {
      b = bulk.lookupL1(keys);
      if (b.complete()) {
        return CompletableFuture.completedFuture(b.result);
      }
      rkeys = bulk.redisKeys(b);
    } catch (RuntimeException | Error e) {
      return CompletableFuture.failedFuture(e);
    }
    return w.tier().mgetAsync(rkeys).thenCompose(values -> {
      bulk.takeL2(b, values);
      if (b.complete()) {
        return CompletableFuture.completedFuture(b.result);
      }
      return async(() -> bulk.loadRest(b, bulkLoader, w), () -> bulk.loadRest(b, bulkLoader, null), true);
    });
  }

  CompletableFuture<Void> put(K key, V value) {
    encoding.checkKey(key);
    requireNonNull(value, "value");
    L2Writer w = writer;
    if (w == null) {
      cache.put(key, value);
      return CompletableFuture.completedFuture(null);
    }
    byte[] keyBytes = encoding.encodeKey(key);
    byte[] rkey = encoding.redisKey(keyBytes);
    encoding.checkSize(encoding.encodeValue(key, value).length);
    if (w.tier().refusing()) {
      // the breaker is open: no reason to queue the write behind loads; L1 and the other
      // instances now, Redis through the repair queue, no I/O on the caller's thread
      cache.writeOne(key, value, keyBytes, L2Write.deferred(rkey));
      return CompletableFuture.completedFuture(null);
    }
    if (w.tier().nonBlocking()) {
      return cache.writeOneAsync(key, value, keyBytes, rkey, w);
    }
    l1.invalidate(key);
    return async(() -> {
      cache.writeOne(key, value, keyBytes, L2Write.overwrite(rkey));
      return null;
    }, () -> {
      // saturated: L1 and the other instances now, Redis through the repair queue
      cache.writeOne(key, value, keyBytes, L2Write.deferred(rkey));
      return null;
    });
  }

  CompletableFuture<Void> invalidate(K key) {
    encoding.checkKey(key);
    L2Writer w = writer;
    byte[] rkey = w == null ? null : encoding.redisKey(encoding.encodeKey(key));
    l1.invalidate(key);
    if (w == null || rkey == null) {
      return CompletableFuture.completedFuture(null);
    }
    if (w.tier().refusing()) {
      // the breaker is open: the repair queue writes the tombstone and tells the other instances
      w.defer(rkey);
      return CompletableFuture.completedFuture(null);
    }
    if (w.tier().nonBlocking()) {
      // the tombstone sent from here; settled, and the other instances told, on the I/O thread
      byte[] keyBytes = encoding.keyBytes(rkey);
      return w.invalidateAsync(List.of(rkey)).thenRun(() -> {
        l1.settleAfterInvalidation(key);
        w.publishKeys(List.of(keyBytes));
      });
    }
    return async(() -> {
      cache.bulk.invalidateAll(List.of(key));
      return null;
    }, () -> {
      // saturated: the repair queue writes the tombstone and tells the other instances
      w.defer(rkey);
      return null;
    });
  }

  /**
   * Runs {@code task} on the cache's executor, or {@code whenSaturated} (no Redis call: L1 and the
   * loader; writes to L1, the other instances and the repair queue) when the queue is full, or when
   * the task waited in the queue for more than a quarter of the L2 timeout: started that late, its
   * own Redis call could take the caller's wait to twice the timeout while Redis does not answer.
   */
  private <T> CompletableFuture<T> async(Supplier<T> task, Supplier<T> whenSaturated) {
    return async(task, whenSaturated, false);
  }

  /**
   * As {@link #async(Supplier, Supplier)}; {@code offThisThread} when the caller is a client's I/O
   * thread, which must not run a load: a full queue then sends {@code whenSaturated} to the common
   * pool instead of running it here.
   */
  private <T> CompletableFuture<T> async(Supplier<T> task, Supplier<T> whenSaturated,
      boolean offThisThread) {
    long queuedAt = System.nanoTime();
    try {
      return CompletableFuture.supplyAsync(
          () -> System.nanoTime() - queuedAt > latestStartNanos ? whenSaturated.get() : task.get(), executor);
    } catch (RejectedExecutionException e) {
      if (offThisThread) {
        return CompletableFuture.supplyAsync(whenSaturated, ForkJoinPool.commonPool());
      }
      try {
        return CompletableFuture.completedFuture(whenSaturated.get());
      } catch (RuntimeException | Error ex) {
        return CompletableFuture.failedFuture(ex);
      }
    }
  }
}
