package dev.scaleblocks.cache;

import static dev.scaleblocks.core.internal.Checks.requireNoNulls;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The operations of one cache on many keys at once: {@code getAll}, {@code putAll} and {@code
 * invalidateAll(keys)}. Each makes one L2 round trip for all its keys (an MGET, a pipelined or
 * scripted write), and a bulk load calls the loader once for all the keys neither tier had. Keys
 * go through the same stamps as single-key operations (see {@link L1Tier}), but a bulk load does
 * not join or start per-key single flights.
 *
 * <p>Thread-safe (no state of its own). Cost: O(keys) L1 work and codec calls, one L2 read and one
 * L2 write for all keys, on the calling thread; L1 maintenance of a bulk load runs once, off it.
 */
final class BulkOps<K, V> {

  private final DefaultTieredCache<K, V> cache;
  private final CacheConfig config;
  private final L1Tier<K, V> l1;
  private final Encoding<K, V> encoding;
  private final CacheMetrics metrics;
  private final @Nullable L2Writer writer;

  BulkOps(DefaultTieredCache<K, V> cache) {
    this.cache = cache;
    this.config = cache.config;
    this.l1 = cache.l1;
    this.encoding = cache.encoding;
    this.metrics = cache.metrics;
    this.writer = cache.writer;
  }

  /** Checks {@code keys} as every bulk operation does before it touches anything. */
  void checkKeys(Collection<? extends K> keys) {
    requireNoNulls(keys, "keys");
    for (K key : keys) {
      encoding.checkKey(key);
    }
  }

  /**
   * One {@code getAll} in progress: its L1 misses in order (a key may repeat), with what L1 still
   * held for them, their stamps, and then what L2 said of them. Confined to one thread at a time
   * (handed from the caller to a client's I/O thread to the executor, never shared).
   */
  final class Batch {
    final Map<K, V> result;
    final List<K> missing = new ArrayList<>();
    final List<@Nullable L1Entry<V>> staleL1 = new ArrayList<>();
    long[] stamps = new long[0];
    byte[][] rkeys = new byte[0][];
    byte[][] expected = new byte[0][];
    @Nullable L1Entry<V>[] staleL2;
    boolean[] done = new boolean[0];
    int remaining;

    Batch(int size) {
      this.result = new LinkedHashMap<>((int) (size / 0.75f) + 1);
      this.staleL2 = newEntries(0);
    }

    /** Whether every key was found (nothing left to load). */
    boolean complete() {
      return remaining == 0;
    }
  }

  @SuppressWarnings("unchecked")
  private static <V> @Nullable L1Entry<V>[] newEntries(int n) {
    return (L1Entry<V>[]) new L1Entry<?>[n];
  }

  /** {@link TieredCache#getAll}; {@code skipL2}: neither read nor write L2 (the executor is saturated). */
  Map<K, V> getAll(Collection<? extends K> keys,
      Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> bulkLoader, boolean skipL2) {
    requireNoNulls(keys, "keys");
    requireNonNull(bulkLoader, "bulkLoader");
    Batch b = lookupL1(keys);
    if (b.complete()) {
      return b.result;
    }
    L2Writer w = skipL2 ? null : writer;
    if (w != null) {
      takeL2(b, w.tier().mget(redisKeys(b)));
      if (b.complete()) {
        return b.result;
      }
    }
    return loadRest(b, bulkLoader, w);
  }

  /** Checks {@code keys}, takes the L1 hits and the stamps of the misses. */
  Batch lookupL1(Collection<? extends K> keys) {
    for (K key : keys) {
      encoding.checkKey(key);
    }
    Batch b = new Batch(keys.size());
    long now = cache.ticker.read();
    for (K key : keys) {
      L1Entry<V> e = l1.getIfPresent(key);
      if (e != null && (!cache.timeChecks || now < e.freshUntil)) {
        metrics.l1Hits.increment();
        if (e.value != null) {
          b.result.put(key, e.value);
        }
      } else {
        metrics.l1Misses.increment();
        b.missing.add(key);
        b.staleL1.add(e);
      }
    }
    int n = b.missing.size();
    b.remaining = n;
    b.stamps = new long[n];
    for (int i = 0; i < n; i++) {
      b.stamps[i] = l1.stamp(b.missing.get(i));
    }
    b.rkeys = new byte[n][];
    b.expected = new byte[n][];
    b.staleL2 = newEntries(n);
    b.done = new boolean[n];
    return b;
  }

  /** The Redis keys of the batch's misses, in order. */
  List<byte[]> redisKeys(Batch b) {
    int n = b.missing.size();
    List<byte[]> redisKeys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      b.rkeys[i] = encoding.redisKey(encoding.encodeKey(b.missing.get(i)));
      redisKeys.add(b.rkeys[i]);
    }
    return redisKeys;
  }

  /**
   * What the MGET of {@link #redisKeys} returned ({@code null}: it failed): fresh values into L1
   * (maintenance off this thread) and the result, the rest kept for the load.
   */
  void takeL2(Batch b, @Nullable List<RedisTier.Read> values) {
    int n = b.missing.size();
    if (values == null) {
      metrics.l2GetErrors.add(n);
      return;
    }
    long after = cache.ticker.read();
    for (int i = 0; i < n; i++) {
      K key = b.missing.get(i);
      RedisTier.Read read = values.get(i);
      byte[] raw = read.value();
      b.expected[i] = Envelope.versionBytes(raw);
      L1Entry<V> fromL2 = raw == null ? null : cache.fromEnvelope(read, after);
      if (fromL2 != null && after < fromL2.freshUntil) {
        metrics.l2Hits.increment();
        l1.install(key, fromL2, b.stamps[i], false);
        b.done[i] = true;
        b.remaining--;
        if (fromL2.value != null) {
          b.result.put(key, fromL2.value);
        }
      } else {
        metrics.l2Misses.increment();
        b.staleL2[i] = fromL2;
      }
    }
  }

  /**
   * Calls the bulk loader once for the keys neither tier had, stores its values (to L2 through
   * {@code w}, only where the L2 read succeeded; {@code null}: not at all) and completes the result.
   * Runs user code and, with {@code w}, a blocking L2 write: never on a client's I/O thread.
   */
  Map<K, V> loadRest(Batch b,
      Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> bulkLoader, @Nullable L2Writer w) {
    int n = b.missing.size();
    Map<K, V> result = b.result;
    Set<K> toLoad = new LinkedHashSet<>((int) (b.remaining / 0.75f) + 1);
    for (int i = 0; i < n; i++) {
      if (!b.done[i]) {
        toLoad.add(b.missing.get(i));
      }
    }
    Map<? extends K, ? extends V> loaded;
    Span span = cache.tracer.spanBuilder("cache.load").setAttribute("scaleblocks.cache", config.name)
        .setAttribute("scaleblocks.cache.keys", toLoad.size()).startSpan();
    long start = cache.ticker.read();
    try {
      loaded = bulkLoader.apply(Collections.unmodifiableSet(toLoad));
      if (loaded == null) {
        throw new NullPointerException("bulkLoader returned null");
      }
    } catch (RuntimeException | Error e) {
      metrics.loadFailure.increment();
      metrics.recordLoad(cache.ticker.read() - start);
      span.recordException(e);
      span.setStatus(StatusCode.ERROR);
      span.end();
      Map<K, V> fallback = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        if (!b.done[i]) {
          L1Entry<V> s = cache.staleFallback(b.staleL1.get(i), b.staleL2[i]);
          if (s == null) {
            throw e;
          }
          if (s.value != null) {
            fallback.put(b.missing.get(i), s.value);
          }
        }
      }
      metrics.staleServed.add(fallback.size());
      result.putAll(fallback);
      return result;
    }
    metrics.loadSuccess.increment();
    metrics.recordLoad(cache.ticker.read() - start);
    span.end();
    List<byte[]> writeKeys = new ArrayList<>();
    List<byte[]> writeValues = new ArrayList<>();
    List<Long> writePx = new ArrayList<>();
    List<byte[]> writeExpected = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      K key = b.missing.get(i);
      if (b.done[i] || !toLoad.remove(key)) {
        continue; // found in L2, or a repeated key already stored
      }
      V value = loaded.get(key);
      // keys whose L2 read failed are not written: nothing to compare with
      byte[] exp = b.expected[i];
      byte[] rk = exp == null ? null : b.rkeys[i];
      int before = writeKeys.size();
      L1Entry<V> entry = storeL1(key, value, b.stamps[i], w != null, rk, writeKeys, writeValues, writePx);
      if (writeKeys.size() > before) {
        writeExpected.add(exp);
      }
      if (entry.value != null) {
        result.put(key, entry.value);
      }
    }
    if (w != null && !writeKeys.isEmpty()) {
      long[] px = new long[writePx.size()];
      for (int i = 0; i < px.length; i++) {
        px[i] = writePx.get(i);
      }
      w.setAllIfVersion(writeKeys, writeValues, px, writeExpected);
    }
    return result;
  }

  /** One bulk-loaded value into L1; its L2 write (when it is to be made) into the lists. */
  private L1Entry<V> storeL1(K key, @Nullable V value, long stamp, boolean forL2,
      byte @Nullable [] rkey, List<byte[]> keysOut, List<byte[]> valuesOut, List<Long> pxOut) {
    DefaultTieredCache.Prepared<V> p = cache.prepare(key, value, forL2);
    byte[] envelope = p.envelope();
    if (p.cacheable() && l1.install(key, p.entry(), stamp, false) && envelope != null && rkey != null) {
      keysOut.add(rkey);
      valuesOut.add(envelope);
      pxOut.add(p.px());
    }
    return p.entry();
  }

  /** {@link TieredCache#putAll}. */
  void putAll(Map<? extends K, ? extends V> values) {
    requireNonNull(values, "values");
    for (Map.Entry<? extends K, ? extends V> e : values.entrySet()) {
      encoding.checkKey(e.getKey());
      requireNonNull(e.getValue(), "value");
    }
    L2Writer w = writer;
    List<byte[]> keyBytes = new ArrayList<>();
    List<byte[]> rkeys = new ArrayList<>();
    List<byte[]> valueBytes = new ArrayList<>();
    if (w != null) {
      for (Map.Entry<? extends K, ? extends V> e : values.entrySet()) {
        byte[] kb = encoding.encodeKey(e.getKey());
        byte[] vb = encoding.encodeValue(e.getKey(), e.getValue());
        encoding.checkSize(vb.length);
        keyBytes.add(kb);
        rkeys.add(encoding.redisKey(kb));
        valueBytes.add(vb);
      }
    }
    List<byte[]> envelopes = new ArrayList<>();
    List<L1Entry<V>> installed = new ArrayList<>(values.size());
    long[] px = new long[values.size()];
    int i = 0;
    for (Map.Entry<? extends K, ? extends V> e : values.entrySet()) {
      K key = e.getKey();
      l1.bump(key);
      long now = cache.ticker.read();
      long l2Millis = Math.max(1, l1.jitter(config.l2TtlMillis));
      long l1Nanos = l1.jitter(config.l1TtlNanos);
      if (w != null) {
        l1Nanos = Math.min(l1Nanos, TimeUnit.MILLISECONDS.toNanos(l2Millis));
      }
      L1Entry<V> entry = l1.newEntry(e.getValue(), now, l1Nanos, l1.nextVersion());
      l1.install(key, entry, l1.stamp(key));
      installed.add(entry);
      if (w != null) {
        envelopes.add(Envelope.encode(valueBytes.get(i), entry.version, entry.writeMillis, l2Millis, cache.staleMillis));
        px[i] = l2Millis + cache.staleMillis;
      }
      i++;
    }
    if (w != null && !rkeys.isEmpty()) {
      w.setAll(rkeys, envelopes, px);
      int j = 0;
      for (K key : values.keySet()) {
        l1.settleAfterPut(key, installed.get(j++));
      }
      w.publishKeys(keyBytes);
    }
  }

  /** {@link TieredCache#invalidateAll(Collection)}. */
  void invalidateAll(Collection<? extends K> keys) {
    checkKeys(keys);
    L2Writer w = writer;
    List<byte[]> keyBytes = new ArrayList<>(keys.size());
    List<byte[]> rkeys = new ArrayList<>(keys.size());
    if (w != null) {
      for (K key : keys) {
        byte[] kb = encoding.encodeKey(key);
        keyBytes.add(kb);
        rkeys.add(encoding.redisKey(kb));
      }
    }
    for (K key : keys) {
      l1.invalidate(key);
    }
    if (w != null && !rkeys.isEmpty()) {
      w.invalidate(rkeys);
      for (K key : keys) {
        l1.settleAfterInvalidation(key);
      }
      w.publishKeys(keyBytes);
    }
  }
}
