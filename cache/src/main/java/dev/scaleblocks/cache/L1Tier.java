package dev.scaleblocks.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.scaleblocks.core.Ticker;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.ToIntBiFunction;
import org.jspecify.annotations.Nullable;

/**
 * The L1 tier of one cache: a Caffeine map of {@link L1Entry} holders, the stamps that keep a load
 * which raced an invalidation out of it, and the making of holders (deadlines, jitter, versions).
 *
 * <h2>Stamps</h2>
 *
 * <p>Every key hashes to one of {@value #STRIPES} generation counters; an invalidation (and a put)
 * {@link #bump bumps} the key's counter before touching the map, and {@link #clear} bumps a global
 * epoch. A load takes {@link #stamp} (the sum of both) before it reads L2 or calls the loader;
 * {@link #install} puts its holder only if the sum is unchanged, and checks again after the put,
 * removing exactly its own holder if it lost the race. So a load that raced an invalidation of its
 * key, or of a key sharing its stripe, never enters the map.
 *
 * <h2>Tags</h2>
 *
 * <p>A holder written with tags is filed under each of them in {@code byTag} (tag → key → holder)
 * before it enters the map, and taken out whenever it leaves the map: replaced, removed, cleared
 * (here) or evicted and expired (Caffeine's eviction listener). So the index holds at most one
 * membership per tag of each holder in the map (plus those whose removal is being processed): it
 * is bounded by the L1's own bound times {@link TagSet#MAX_TAGS}, and an untagged cache never
 * touches it. {@link #invalidateTag} drops exactly the holders filed under the tag.
 *
 * <p>A load in flight is not in the index yet, so a tag invalidation must also fail the installs
 * of loads that started before it and carry the tag, without failing every load as {@link #clear}
 * does. Each tag invalidation takes the next number of a tag sequence and records (number, tag) in
 * a ring of {@value #TAG_RING} slots; a {@link #stamp} carries the tag sequence in its top
 * {@value #TAG_SEQ_BITS} bits (the stripe and epoch sum in the rest), and {@link #install} of a
 * tagged holder fails when a tag invalidation numbered after its stamp names one of its tags (or
 * the ring no longer holds them all, or one is not written yet: then it fails to be safe). The
 * install files the holder in the index before its put and checks again after it, while {@link
 * #invalidateTag} records its number before it walks the index: whichever comes first, the holder
 * is dropped or never stays. A walk that finds a holder filed but not yet in the map leaves its
 * membership alone (the holder is not {@linkplain L1Entry#settled settled}): if its install began
 * after the walk's number it stays in the map and must stay filed for the next invalidation.
 *
 * <h2>Maintenance</h2>
 *
 * <p>Caffeine's maintenance (eviction, expiry, reordering) triggered by a read goes to the common
 * pool so that hits stay as cheap as raw Caffeine's; triggered by an {@link #install} with inline
 * maintenance (a write that already paid for Redis) it runs on the writing thread (see
 * {@link #maintain}). Holders leave the map at their hard deadline (fresh TTL plus the
 * stale-if-error window) through Caffeine's variable expiry.
 *
 * <p>Thread-safe and lock-free apart from Caffeine's own per-entry locking. Cost: a hit is one
 * Caffeine {@code getIfPresent}; a stamp is three volatile reads; an install is two stamp checks
 * and one Caffeine put (a tagged one also files the holder under each tag); a bump is one atomic
 * increment. Nothing here does I/O.
 */
final class L1Tier<K, V> {

  static final int STRIPES = 1024;
  static final int TAG_RING = 1024;
  static final int TAG_SEQ_BITS = 24;
  private static final int LOW_BITS = 64 - TAG_SEQ_BITS;
  private static final long LOW_MASK = (1L << LOW_BITS) - 1;
  private static final long TAG_SEQ_MASK = (1L << TAG_SEQ_BITS) - 1;

  private final CacheConfig config;
  private final Ticker ticker;
  private final Cache<K, L1Entry<V>> cache;
  private final ConcurrentMap<K, L1Entry<V>> map;
  /** Writes in progress whose maintenance runs inline (see {@link #maintain}). */
  private final AtomicInteger inlineWrites = new AtomicInteger();
  private final AtomicLongArray stripes = new AtomicLongArray(STRIPES);
  private final AtomicLong epoch = new AtomicLong();
  /** Tag invalidations so far; see the class comment. */
  private final AtomicLong tagSeq = new AtomicLong();
  private final AtomicReferenceArray<@Nullable TagMark> tagRing = new AtomicReferenceArray<>(TAG_RING);
  /** Tagged holders in the map, by tag. */
  private final ConcurrentHashMap<String, ConcurrentHashMap<K, L1Entry<V>>> byTag = new ConcurrentHashMap<>();
  private final long wallBaseMillis;
  private final long wallBaseNanos;
  private final long versionNonce;
  private final AtomicLong versionCounter;
  /** The holder of a null load when negative caching is off: returned, never installed. */
  final L1Entry<V> notCached = new L1Entry<>(null, 0, 0, 0, 0, 0);

  L1Tier(CacheConfig config, CacheMetrics metrics) {
    this.config = config;
    this.ticker = config.ticker;
    this.wallBaseNanos = ticker.read();
    this.wallBaseMillis = System.currentTimeMillis();
    this.versionNonce = (ThreadLocalRandom.current().nextLong() & 0xFF_FFFFL) << 40;
    this.versionCounter = new AtomicLong(ThreadLocalRandom.current().nextInt(1 << 20));
    Executor maintenance = this::maintain;
    Caffeine<K, L1Entry<V>> builder =
        Caffeine.newBuilder()
            .executor(maintenance)
            .ticker(ticker::read)
            .expireAfter(new HardDeadline<K, V>())
            .evictionListener((@Nullable K k, @Nullable L1Entry<V> v, RemovalCause c) -> {
              metrics.evictions.increment();
              if (k != null) {
                unindex(k, v);
              }
            });
    if (config.maximumWeight >= 0) {
      Weigher<K, V> w = new Weigher<>(config.weigher);
      builder = builder.maximumWeight(config.maximumWeight).weigher(w::weigh);
    } else {
      builder = builder.maximumSize(config.maximumSize);
    }
    this.cache = builder.build();
    this.map = cache.asMap();
    metrics.gauge("scaleblocks.cache.size", cache, c -> c.estimatedSize());
  }

  /** Adapts the user's weigher to holders: negative entries weigh 1. */
  private static final class Weigher<K, V> {
    private final ToIntBiFunction<Object, Object> weigher;

    Weigher(@Nullable ToIntBiFunction<Object, Object> weigher) {
      this.weigher = Objects.requireNonNull(weigher);
    }

    int weigh(K key, L1Entry<V> entry) {
      V v = entry.value;
      return v == null ? 1 : weigher.applyAsInt(key, v);
    }
  }

  /** Caffeine drops a holder at its hard deadline (fresh TTL plus the stale-if-error window). */
  private static final class HardDeadline<K, V> implements Expiry<K, L1Entry<V>> {
    @Override
    public long expireAfterCreate(K key, L1Entry<V> value, long currentTime) {
      return remaining(value.hardUntil, currentTime);
    }

    @Override
    public long expireAfterUpdate(K key, L1Entry<V> value, long currentTime, long currentDuration) {
      return remaining(value.hardUntil, currentTime);
    }

    private static long remaining(long until, long now) {
      long d = until - now;
      if (((until ^ now) & (until ^ d)) < 0) { // overflow: until is far in the future or past
        return until > now ? Long.MAX_VALUE : 0;
      }
      return Math.max(0, d);
    }

    @Override
    public long expireAfterRead(K key, L1Entry<V> value, long currentTime, long currentDuration) {
      return currentDuration;
    }
  }

  // ------------------------------------------------------------------ the map

  /** The holder of {@code key}, whatever its deadlines; counts as a read for Caffeine. */
  @Nullable L1Entry<V> getIfPresent(K key) {
    return cache.getIfPresent(key);
  }

  /** What the map holds for {@code key}, without touching Caffeine's statistics or order. */
  @Nullable L1Entry<V> peek(K key) {
    return map.get(key);
  }

  long estimatedSize() {
    return cache.estimatedSize();
  }

  /** Puts {@code entry} unless an invalidation raced the load that made it; maintenance inline. */
  boolean install(K key, L1Entry<V> entry, long stamp) {
    return install(key, entry, stamp, true);
  }

  /**
   * As {@link #install(Object, L1Entry, long)}; bulk paths and Lettuce's I/O thread pass {@code
   * inlineMaintenance = false} so that one pool task does the maintenance (of the whole batch).
   */
  boolean install(K key, L1Entry<V> entry, long stamp, boolean inlineMaintenance) {
    if (!current(key, entry, stamp)) {
      return false;
    }
    index(key, entry);
    put(key, entry, inlineMaintenance);
    if (!current(key, entry, stamp)) {
      map.remove(key, entry);
      unindex(key, entry); // whether it was still there or already replaced
      entry.settled = true;
      return false;
    }
    if (entry.tags != null) {
      entry.settled = true;
      if (map.get(key) != entry) {
        unindex(key, entry); // removed by a clear while on its way in
      }
    }
    return true;
  }

  /** Whether no invalidation since {@code stamp} concerns {@code entry} of {@code key}. */
  private boolean current(K key, L1Entry<V> entry, long stamp) {
    if ((((stripes.get(stripe(key)) + epoch.get()) ^ stamp) & LOW_MASK) != 0) {
      return false;
    }
    TagSet tags = entry.tags;
    return tags == null || !tagInvalidatedSince(tags, stamp >>> LOW_BITS);
  }

  /** Whether a tag invalidation numbered after {@code then} (its low bits) named one of {@code tags}. */
  private boolean tagInvalidatedSince(TagSet tags, long then) {
    long now = tagSeq.get();
    long behind = (now - then) & TAG_SEQ_MASK;
    if (behind == 0) {
      return false;
    }
    if (behind > TAG_RING) {
      return true;
    }
    for (long seq = now - behind + 1; seq <= now; seq++) {
      TagMark mark = tagRing.get((int) (seq & (TAG_RING - 1)));
      if (mark == null || mark.seq != seq || tags.contains(mark.tag)) {
        return true;
      }
    }
    return false;
  }

  private void put(K key, L1Entry<V> entry, boolean inlineMaintenance) {
    if (!inlineMaintenance) {
      unindex(key, map.put(key, entry));
      return;
    }
    inlineWrites.incrementAndGet();
    try {
      unindex(key, map.put(key, entry));
    } finally {
      inlineWrites.decrementAndGet();
    }
  }

  /** An invalidation of {@code key}: fails the loads of it in flight, then drops its holder. */
  void invalidate(K key) {
    bump(key);
    unindex(key, map.remove(key));
  }

  /** Drops every holder and fails every load in flight. */
  void clear() {
    epoch.incrementAndGet();
    cache.invalidateAll();
    // memberships of holders no longer in the map; a holder still on its way in is its installer's
    byTag.forEach((tag, members) -> members.forEach((k, e) -> {
      if (e.settled && map.get(k) != e) {
        unindex(k, e);
      }
    }));
  }

  /**
   * A tag invalidation: fails the installs of tagged loads in flight that carry {@code tag}, then
   * drops every holder filed under it. Cost: proportional to the holders carrying the tag.
   *
   * @return how many holders it dropped
   */
  int invalidateTag(String tag) {
    long seq = tagSeq.incrementAndGet();
    tagRing.set((int) (seq & (TAG_RING - 1)), new TagMark(seq, tag));
    ConcurrentHashMap<K, L1Entry<V>> members = byTag.get(tag);
    if (members == null) {
      return 0;
    }
    int dropped = 0;
    for (Map.Entry<K, L1Entry<V>> m : members.entrySet()) {
      K k = m.getKey();
      L1Entry<V> e = m.getValue();
      if (map.remove(k, e)) {
        dropped++;
        unindex(k, e);
      } else if (e.settled) {
        unindex(k, e); // left the map another way
      }
      // else on its way in: filed before its put and not in the map yet. Its install either
      // started after this invalidation's number (it may stay, and must stay filed) or fails its
      // second check and takes itself out
    }
    return dropped;
  }

  /** One tag invalidation in the ring: its number and its tag. */
  private record TagMark(long seq, String tag) {}

  private void index(K key, L1Entry<V> entry) {
    TagSet tags = entry.tags;
    if (tags == null) {
      return;
    }
    for (String tag : tags.names) {
      byTag.compute(tag, (t, members) -> {
        ConcurrentHashMap<K, L1Entry<V>> m = members == null ? new ConcurrentHashMap<>() : members;
        m.put(key, entry);
        return m;
      });
    }
  }

  /** Takes {@code entry}, which has left the map (or never entered it), out of the index. */
  private void unindex(K key, @Nullable L1Entry<V> entry) {
    TagSet tags = entry == null ? null : entry.tags;
    if (tags == null) {
      return;
    }
    for (String tag : tags.names) {
      byTag.computeIfPresent(tag, (t, members) -> {
        members.remove(key, entry);
        return members.isEmpty() ? null : members;
      });
    }
  }

  /**
   * Test hook, for a quiet cache: where the tag index and the map disagree (a tagged holder in the
   * map not filed under one of its tags, or a membership whose holder is not the map's); empty
   * when they agree.
   */
  java.util.List<String> tagIndexFaults() {
    java.util.List<String> faults = new java.util.ArrayList<>();
    map.forEach((k, e) -> {
      TagSet tags = e.tags;
      if (tags != null) {
        for (String tag : tags.names) {
          ConcurrentHashMap<K, L1Entry<V>> members = byTag.get(tag);
          if (members == null || members.get(k) != e) {
            faults.add(k + " in the map, not filed under " + tag);
          }
        }
      }
    });
    byTag.forEach((tag, members) -> members.forEach((k, e) -> {
      if (map.get(k) != e) {
        faults.add(k + " filed under " + tag + ", not in the map");
      }
    }));
    return faults;
  }

  /** Test hook: how many memberships the tag index holds. */
  int indexedMemberships() {
    int n = 0;
    for (ConcurrentHashMap<K, L1Entry<V>> m : byTag.values()) {
      n += m.size();
    }
    return n;
  }

  /**
   * After a put's L2 write: a load on this instance that read L2 before the write landed may have
   * installed what it read over the put's holder. Bumping the stamp again fails every such load
   * still on its way; dropping whatever the map now holds for the key unless it is the put's own
   * holder {@code mine} removes one that got in before. Only ever removes: a newer holder dropped
   * costs one L2 read.
   */
  void settleAfterPut(K key, L1Entry<V> mine) {
    bump(key);
    for (L1Entry<V> current = map.get(key); current != null && current != mine; current = map.get(key)) {
      if (map.remove(key, current)) {
        unindex(key, current);
        return;
      }
    }
  }

  /** As {@link #settleAfterPut} after an invalidation's L2 write: whatever got in is dropped. */
  void settleAfterInvalidation(K key) {
    bump(key);
    unindex(key, map.remove(key));
  }

  // ------------------------------------------------------------------ stamps

  private static int stripe(Object key) {
    int h = key.hashCode();
    h ^= h >>> 16;
    return (h * 0x9E3779B9) >>> 22;
  }

  /**
   * What an install of a load that starts now must still see: the tag sequence in the top bits,
   * the key's stripe plus the epoch in the others. Opaque to callers.
   */
  long stamp(K key) {
    long tags = tagSeq.get() & TAG_SEQ_MASK;
    return (tags << LOW_BITS) | ((stripes.get(stripe(key)) + epoch.get()) & LOW_MASK);
  }

  /** Fails every load of {@code key} (and of keys sharing its stripe) in flight. */
  void bump(K key) {
    stripes.incrementAndGet(stripe(key));
  }

  /**
   * Where Caffeine runs its maintenance (eviction, expiry, LRU reordering). Triggered by a read, it
   * goes to the common pool so that hits stay as cheap as raw Caffeine's; triggered by one of our
   * writes, which already paid for Redis, it runs inline, because waking a pool thread for every
   * L2 hit cost more than the maintenance itself (about +50% on an L2 hit's latency).
   *
   * <p>"Triggered by one of our writes" is a count of writes in progress on this cache, not a
   * per-thread flag: a read that triggers maintenance while another thread writes runs it inline
   * too, which is correct (inline is always correct) and rare. It used to be a {@code
   * ThreadLocal}, read on the hit path whenever a read filled Caffeine's read buffer; {@code
   * ThreadLocal.get} is shared by every thread-local in the process, so its profile saw other
   * {@code ThreadLocal} classes over time and the compiled hit path was thrown away and recompiled
   * (class-check traps in {@code ThreadLocal.get}, seen during measurement iterations), at a time
   * that differed from one JVM to the next.
   */
  private void maintain(Runnable task) {
    if (inlineWrites.get() > 0) {
      task.run();
    } else {
      ForkJoinPool.commonPool().execute(task);
    }
  }

  // ------------------------------------------------------------------ holders

  /** A holder written now that lives {@code ttlNanos} (plus the stale window). */
  L1Entry<V> newEntry(@Nullable V value, long now, long ttlNanos, long version) {
    return newEntry(value, now, ttlNanos, version, null);
  }

  /** As {@link #newEntry(Object, long, long, long)}, filed under {@code tags} ({@code null}: none). */
  L1Entry<V> newEntry(@Nullable V value, long now, long ttlNanos, long version, @Nullable TagSet tags) {
    long freshUntil = plus(now, ttlNanos);
    long refreshAt = value != null && config.refreshAhead > 0
        ? plus(now, (long) (ttlNanos * config.refreshAhead))
        : freshUntil; // never later: a hit compares only this while it is ahead
    return new L1Entry<>(value, version, wallMillis(now), refreshAt, freshUntil, plus(freshUntil, config.staleNanos),
        tags);
  }

  /** {@code a + b} for ticker deadlines, saturating instead of overflowing. */
  static long plus(long a, long b) {
    long r = a + b;
    if (((a ^ r) & (b ^ r)) < 0) {
      return b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
    }
    return r;
  }

  /** {@code ttl} shortened by up to the configured jitter fraction, so keys written together expire apart. */
  long jitter(long ttl) {
    if (config.ttlJitter <= 0 || ttl <= 0) {
      return ttl;
    }
    return ttl - (long) (ttl * config.ttlJitter * ThreadLocalRandom.current().nextDouble());
  }

  /** A version no other write of this instance had; random high bits tell instances apart. */
  long nextVersion() {
    return versionNonce | (versionCounter.incrementAndGet() & 0xFF_FFFF_FFFFL);
  }

  /** Epoch millis of ticker time {@code nanos} (one wall-clock reading at construction). */
  long wallMillis(long nanos) {
    return wallBaseMillis + Math.floorDiv(nanos - wallBaseNanos, 1_000_000L);
  }
}
