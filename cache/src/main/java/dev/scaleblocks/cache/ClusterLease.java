package dev.scaleblocks.cache;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The cluster-wide single flight of one cache ({@code leaseTime}): before a miss loads, it takes a
 * lease key next to the value's key in Redis; the instance that gets it loads and writes L2, the
 * others poll L2 for its value for at most the lease time, then load themselves. Local single
 * flight ({@link Flight}) is the caller's; this is the step between an L2 miss and a load.
 *
 * <p>Thread-safe (no state of its own beyond the owner id). Cost: one SET NX and one release
 * round trip for the instance that loads; a waiting instance polls L2 every {@code leaseTime / 20}
 * (2 to 50 ms) and sleeps on the calling thread in between, so it runs where blocking is allowed
 * (never on a client's I/O thread).
 */
final class ClusterLease<K, V> {

  private static final byte[] LEASE_SUFFIX = "\u0000lease".getBytes(UTF_8);

  private final DefaultTieredCache<K, V> cache;
  private final CacheMetrics metrics;
  private final byte[] owner;
  private final long leaseMillis;

  ClusterLease(DefaultTieredCache<K, V> cache, CacheConfig config, CacheMetrics metrics) {
    this.cache = cache;
    this.metrics = metrics;
    this.owner = config.instanceId.getBytes(UTF_8);
    this.leaseMillis = config.leaseMillis;
  }

  /**
   * Loads {@code key} under the lease, or takes what the lease holder wrote to L2 meanwhile. {@code
   * expected} is the version the L2 read saw (the load writes L2 only if it is still there).
   */
  L1Entry<V> load(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> stale, @Nullable L1Entry<V> staleL2, long stamp, byte[] rkey, RedisTier t,
      byte[] expected, @Nullable Flight<V> flight) {
    byte[] leaseKey = Encoding.concat(rkey, LEASE_SUFFIX);
    int lease = t.tryLease(leaseKey, owner, leaseMillis);
    if (lease == 0) {
      metrics.leaseWaits.increment();
      if (flight != null) {
        flight.enterLoader(); // waiting for another instance's load, bounded by leaseTime
      }
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
      long pollMillis = Math.max(2, Math.min(50, leaseMillis / 20));
      while (System.nanoTime() < deadline) {
        try {
          Thread.sleep(pollMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        RedisTier.Read read = t.get(rkey);
        if (DefaultTieredCache.unavailable(read)) {
          break;
        }
        byte[] raw = read.value();
        expected = Envelope.versionBytes(raw);
        if (raw != null) {
          long now = cache.ticker.read();
          L1Entry<V> fromL2 = cache.fromEnvelope(read, now);
          if (fromL2 != null && now < fromL2.freshUntil) {
            metrics.l2Hits.increment();
            cache.l1.install(key, fromL2, stamp);
            return fromL2;
          }
        }
      }
    }
    try {
      return cache.loadAndStore(key, loader, stale, staleL2, stamp, L2Write.ifUnchanged(rkey, expected), flight);
    } finally {
      if (lease == 1) {
        t.releaseLease(leaseKey, owner);
      }
    }
  }
}
