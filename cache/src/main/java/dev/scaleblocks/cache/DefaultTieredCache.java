package dev.scaleblocks.cache;

import static dev.scaleblocks.core.internal.Checks.requireNoNulls;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.codec.Codec;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link TieredCache} implementation.
 *
 * <h2>Design</h2>
 *
 * <p><b>Hit path.</b> The L1 is a Caffeine cache of {@link L1Entry} holders created once per write.
 * A hit is {@code getIfPresent}, a null check and (only when refresh-ahead or stale-if-error is on)
 * one ticker read compared with the holder's deadlines; Caffeine's own variable expiry drops the
 * holder at its hard deadline. Nothing is allocated and no lambda is captured.
 *
 * <p><b>Single flight.</b> Misses register a {@link Flight} per key in {@code inflight} with
 * {@code putIfAbsent}; the winner reads L2 and loads, the others wait on its flight: as long as the
 * winner runs the loader, but at most the L2 timeout while it is on Redis (then they serve the stale
 * value or load without L2). The map only holds keys being loaded right now, and no lock spans more
 * than one key.
 *
 * <p><b>No stale refill.</b> Every key hashes to one of {@value #STRIPES} generation counters;
 * a local or remote invalidation (and {@code put}) bumps the key's counter before touching the L1,
 * and clearing the whole L1 bumps a global epoch. A load records the sum of both before it reads
 * L2 or calls the loader and installs its result only if the sum is unchanged, checking again
 * after the install (and removing exactly its own holder if it lost the race). A load that raced an
 * invalidation of the same key, or of a key sharing its stripe, is returned to its caller but never
 * enters the L1, nor (for loader results) the L2.
 *
 * <p><b>Writes to L2</b> are named by {@link L2Write}: a put overwrites (and queues a repair in
 * {@link RepairQueue} when Redis cannot be reached); a load that read L2 writes only if L2 still
 * holds what it read; a load whose L2 read failed does not write L2 at all. Reads never queue
 * repairs.
 *
 * <p><b>Time.</b> L1 deadlines are on the injected ticker. L2 freshness is decided by Redis: each
 * read takes the key's PTTL in the same round trip and the envelope says how much of it is the
 * stale-if-error tail, so no clock of any instance is involved. The envelope's write time (for
 * Last-Modified) is epoch millis derived from the ticker (one wall-clock reading at construction).
 */
final class DefaultTieredCache<K, V> implements TieredCache<K, V>, InvalidationBus.Listener {

  private static final Logger log = LoggerFactory.getLogger(DefaultTieredCache.class);
  static final int STRIPES = 1024;
  private static final byte[] LEASE_SUFFIX = "\u0000lease".getBytes(UTF_8);

  private final CacheConfig config;
  private final String name;
  private final Cache<K, L1Entry<V>> l1;
  /** Writes in progress whose L1 maintenance runs inline (see {@link #maintain}). */
  private final AtomicInteger inlineWrites = new AtomicInteger();
  private final java.util.concurrent.Executor maintenance = this::maintain;
  private final ConcurrentMap<K, L1Entry<V>> l1Map;
  private final ConcurrentHashMap<K, Flight<V>> inflight = new ConcurrentHashMap<>();
  private final AtomicLongArray stripes = new AtomicLongArray(STRIPES);
  private final AtomicLong epoch = new AtomicLong();
  private final Ticker ticker;
  private final boolean timeChecks;
  private final CacheMetrics metrics;
  private final Tracer tracer;
  private final @Nullable RedisTier l2;
  private final @Nullable InvalidationBus bus;
  private final @Nullable Codec<K> keyCodec;
  private final @Nullable Codec<V> valueCodec;
  private final ThreadPoolExecutor executor;
  private final long wallBaseMillis;
  private final long wallBaseNanos;
  private final long versionNonce;
  private final AtomicLong versionCounter;
  private final byte[] leaseOwner;
  private final L1Entry<V> notCached;
  private static final int MAX_REPAIRS = 100_000;
  private final RepairQueue repairs = new RepairQueue(MAX_REPAIRS);
  private final java.util.concurrent.atomic.AtomicBoolean repairOverflowLogged = new java.util.concurrent.atomic.AtomicBoolean();
  private final java.util.concurrent.locks.ReentrantLock repairLock = new java.util.concurrent.locks.ReentrantLock();
  private final long tombstoneMillis;
  private final long l2TimeoutNanos;
  private final long staleMillis;
  /** The breaker this cache built for itself (none given); closed with the cache. */
  private final @Nullable CircuitBreaker ownBreaker;

  @SuppressWarnings("unchecked")
  DefaultTieredCache(CacheConfig config) {
    this.config = config;
    this.name = config.name;
    this.ticker = config.ticker;
    this.timeChecks = config.refreshAhead > 0 || config.staleNanos > 0;
    this.metrics = new CacheMetrics(config.telemetry.meterRegistry(), name);
    this.l2TimeoutNanos = config.l2TimeoutNanos;
    this.staleMillis = TimeUnit.NANOSECONDS.toMillis(config.staleNanos);
    this.tracer = config.telemetry.tracer();
    this.keyCodec = (Codec<K>) config.keyCodec;
    this.valueCodec = (Codec<V>) config.valueCodec;
    this.wallBaseNanos = ticker.read();
    this.wallBaseMillis = System.currentTimeMillis();
    this.versionNonce = (ThreadLocalRandom.current().nextLong() & 0xFF_FFFFL) << 40;
    this.versionCounter = new AtomicLong(ThreadLocalRandom.current().nextInt(1 << 20));
    this.leaseOwner = config.instanceId.getBytes(UTF_8);
    this.notCached = new L1Entry<>(null, 0, 0, 0, 0, 0);
    this.tombstoneMillis = Math.max(10_000, 2 * config.leaseMillis);

    Caffeine<K, L1Entry<V>> builder =
        Caffeine.newBuilder()
            .executor(maintenance)
            .ticker(ticker::read)
            .expireAfter(new HardDeadline<K, V>())
            .evictionListener((@Nullable K k, @Nullable L1Entry<V> v, com.github.benmanes.caffeine.cache.RemovalCause c) ->
                metrics.evictions.increment());
    if (config.maximumWeight >= 0) {
      ToIntBiFunction2<K, V> w = new ToIntBiFunction2<>(config.weigher);
      builder = builder.maximumWeight(config.maximumWeight).weigher(w::weigh);
    } else {
      builder = builder.maximumSize(config.maximumSize);
    }
    this.l1 = builder.build();
    this.l1Map = l1.asMap();
    metrics.gauge("scaleblocks.cache.size", l1, c -> c.estimatedSize());
    metrics.gauge("scaleblocks.cache.repairs.pending", repairs, RepairQueue::size);

    AtomicInteger threads = new AtomicInteger();
    this.executor =
        new ThreadPoolExecutor(config.asyncThreads, config.asyncThreads, 30, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(config.asyncQueue),
            r -> {
              Thread t = new Thread(r, "scaleblocks-cache-" + name + "-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    executor.allowCoreThreadTimeOut(true);

    if (config.redis != null) {
      CircuitBreaker given = config.breaker;
      CircuitBreaker breaker = given != null
          ? given
          : CircuitBreaker.builder("cache." + name).ticker(ticker).telemetry(config.telemetry).build();
      this.ownBreaker = given != null ? null : breaker;
      java.time.Duration l2Timeout = java.time.Duration.ofNanos(config.l2TimeoutNanos);
      this.l2 = config.redis instanceof redis.clients.jedis.UnifiedJedis jedis
          ? new JedisTier(jedis, breaker, ticker, tracer, name, metrics, l2Timeout)
          : new LettuceTier(config.redis, breaker, ticker, tracer, name, metrics, l2Timeout);
      breaker.onStateTransition(t -> {
        if (t.to() == CircuitBreaker.State.OPEN && t.from() == CircuitBreaker.State.CLOSED) {
          log.warn("cache {}: redis tier unavailable, serving from L1 and the loader ({})", name, t.reason());
        } else if (t.to() == CircuitBreaker.State.CLOSED) {
          log.info("cache {}: redis tier available again", name);
        }
      });
      if (config.invalidation) {
        this.bus = new InvalidationBus(l2, this, metrics, name, config.instanceId, config.heartbeatNanos);
        bus.start(java.time.Duration.ofSeconds(1));
      } else {
        this.bus = null;
      }
    } else {
      this.l2 = null;
      this.bus = null;
      this.ownBreaker = null;
    }
  }

  /** Adapts the user's weigher to holders: negative entries weigh 1. */
  private static final class ToIntBiFunction2<K, V> {
    private final java.util.function.ToIntBiFunction<Object, Object> weigher;

    ToIntBiFunction2(java.util.function.@Nullable ToIntBiFunction<Object, Object> weigher) {
      this.weigher = java.util.Objects.requireNonNull(weigher);
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

  @Override
  public String name() {
    return name;
  }

  @Override
  public String instanceId() {
    return config.instanceId;
  }

  // ------------------------------------------------------------------ reads

  @Override
  public @Nullable V get(K key, Function<? super K, ? extends @Nullable V> loader) {
    return lookup(key, loader).value;
  }

  @Override
  public @Nullable CacheEntry<V> getEntry(K key, Function<? super K, ? extends @Nullable V> loader) {
    L1Entry<V> e = lookup(key, loader);
    return e.isNegative() ? null : e;
  }

  /**
   * The hit path: small on purpose. Everything a fresh hit does not need is in {@link #notFresh},
   * so that this method (with Caffeine's {@code getIfPresent} inlined into it) stays within what
   * the JIT inlines into a caller whatever order it compiles things in.
   */
  private L1Entry<V> lookup(K key, Function<? super K, ? extends @Nullable V> loader) {
    checkKey(key);
    requireNonNull(loader, "loader");
    L1Entry<V> e = l1.getIfPresent(key);
    if (e != null && (!timeChecks || ticker.read() < e.refreshAt)) {
      metrics.l1Hits.increment();
      return e;
    }
    return notFresh(key, loader, e);
  }

  /** An entry due for refresh-ahead, past its fresh time, or absent. */
  private L1Entry<V> notFresh(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> e) {
    if (e != null) {
      long now = ticker.read();
      if (now < e.refreshAt) { // time read again: still fresh
        metrics.l1Hits.increment();
        return e;
      }
      if (now < e.freshUntil) {
        metrics.l1Hits.increment();
        refreshAhead(key, loader, e);
        return e;
      }
    }
    metrics.l1Misses.increment();
    return miss(key, loader, e, false);
  }

  private L1Entry<V> miss(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> stale, boolean skipL2) {
    return miss(key, loader, stale, skipL2, null);
  }

  /** An L2 read made before the miss was handed to a thread that may load (see getAsync). */
  @SuppressWarnings("ArrayRecordComponent") // carried along, never compared
  private record PriorRead(long stamp, byte[] rkey, RedisTier tier, RedisTier.Read read) {}

  private L1Entry<V> miss(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> stale, boolean skipL2, @Nullable PriorRead prior) {
    Flight<V> mine = new Flight<>();
    Flight<V> running = inflight.putIfAbsent(key, mine);
    if (running != null) {
      L1Entry<V> led = running.await(l2TimeoutNanos);
      if (led != null) {
        return led;
      }
      // the leader is stuck on Redis: serve what L1 still holds, or load without Redis
      L1Entry<V> fallback = staleFallback(stale, null);
      if (fallback != null) {
        metrics.staleServed.increment();
        return fallback;
      }
      return loadAndStore(key, loader, stale, null, stamp(key), null, null, L2Write.SKIP, null);
    }
    try {
      L1Entry<V> result = prior == null
          ? loadThroughTiers(key, loader, stale, skipL2, mine)
          : afterL2Read(key, loader, stale, prior.stamp(), prior.rkey(), prior.tier(), prior.read(), mine);
      mine.complete(result);
      return result;
    } catch (RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inflight.remove(key, mine);
    }
  }

  private L1Entry<V> loadThroughTiers(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> stale, boolean skipL2, @Nullable Flight<V> flight) {
    long stamp = stamp(key);
    RedisTier t = skipL2 ? null : l2;
    if (t == null) {
      return loadAndStore(key, loader, stale, null, stamp, null, null, L2Write.SKIP, flight);
    }
    byte[] keyBytes = encodeKey(key);
    byte[] rkey = redisKey(keyBytes);
    return afterL2Read(key, loader, stale, stamp, rkey, t, t.get(rkey), flight);
  }

  /** What follows the L2 read of a miss: an L2 hit into L1, else a load (under the lease, if on). */
  private L1Entry<V> afterL2Read(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> stale, long stamp, byte[] rkey, RedisTier t, RedisTier.Read read,
      @Nullable Flight<V> flight) {
    if (flight != null) {
      flight.leaveLoader(); // marks the end of the L2 read; waiters' clock restarts for the load
    }
    byte[] raw = read.value();
    byte[] expected = unavailable(read) ? null : Envelope.versionBytes(raw);
    L1Entry<V> staleL2 = null;
    if (unavailable(read)) {
      metrics.l2GetErrors.increment();
    } else if (raw != null) {
      long now = ticker.read();
      L1Entry<V> fromL2 = fromEnvelope(read, now);
      if (fromL2 != null && now < fromL2.freshUntil) {
        metrics.l2Hits.increment();
        installL1(key, fromL2, stamp);
        return fromL2;
      }
      metrics.l2Misses.increment();
      staleL2 = fromL2;
    } else {
      metrics.l2Misses.increment();
    }
    if (expected == null) {
      // the read failed: whatever L2 holds is unknown, so the load does not write L2
      return loadAndStore(key, loader, stale, staleL2, stamp, null, null, L2Write.SKIP, flight);
    }
    if (config.leaseMillis > 0) {
      return loadUnderLease(key, loader, stale, staleL2, stamp, rkey, t, expected, flight);
    }
    return loadAndStore(key, loader, stale, staleL2, stamp, rkey, t, L2Write.ifUnchanged(expected), flight);
  }

  private L1Entry<V> loadUnderLease(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> stale, @Nullable L1Entry<V> staleL2, long stamp, byte[] rkey, RedisTier t,
      byte[] expected, @Nullable Flight<V> flight) {
    byte[] leaseKey = concat(rkey, LEASE_SUFFIX);
    int lease = t.tryLease(leaseKey, leaseOwner, config.leaseMillis);
    if (lease == 0) {
      metrics.leaseWaits.increment();
      if (flight != null) {
        flight.enterLoader(); // waiting for another instance's load, bounded by leaseTime
      }
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.leaseMillis);
      long pollMillis = Math.max(2, Math.min(50, config.leaseMillis / 20));
      while (System.nanoTime() < deadline) {
        try {
          Thread.sleep(pollMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        RedisTier.Read read = t.get(rkey);
        if (unavailable(read)) {
          break;
        }
        byte[] raw = read.value();
        expected = Envelope.versionBytes(raw);
        if (raw != null) {
          long now = ticker.read();
          L1Entry<V> fromL2 = fromEnvelope(read, now);
          if (fromL2 != null && now < fromL2.freshUntil) {
            metrics.l2Hits.increment();
            installL1(key, fromL2, stamp);
            return fromL2;
          }
        }
      }
    }
    try {
      return loadAndStore(key, loader, stale, staleL2, stamp, rkey, t, L2Write.ifUnchanged(expected), flight);
    } finally {
      if (lease == 1) {
        t.releaseLease(leaseKey, leaseOwner);
      }
    }
  }

  private L1Entry<V> loadAndStore(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> stale, @Nullable L1Entry<V> staleL2, long stamp,
      byte @Nullable [] rkey, @Nullable RedisTier t, L2Write intent, @Nullable Flight<V> flight) {
    Span span = tracer.spanBuilder("cache.load").setAttribute("scaleblocks.cache", name).startSpan();
    long start = ticker.read();
    V value;
    if (flight != null) {
      flight.enterLoader();
    }
    try {
      value = loader.apply(key);
    } catch (RuntimeException | Error e) {
      metrics.loadFailure.increment();
      metrics.recordLoad(ticker.read() - start);
      span.recordException(e);
      span.setStatus(StatusCode.ERROR);
      span.end();
      L1Entry<V> fallback = staleFallback(stale, staleL2);
      if (fallback != null) {
        metrics.staleServed.increment();
        log.debug("cache {}: loader failed, serving a stale value", name, e);
        return fallback;
      }
      throw e;
    } finally {
      if (flight != null) {
        flight.leaveLoader();
      }
    }
    metrics.loadSuccess.increment();
    metrics.recordLoad(ticker.read() - start);
    span.end();
    return store(key, value, stamp, rkey, t, intent, flight);
  }

  private @Nullable L1Entry<V> staleFallback(@Nullable L1Entry<V> stale, @Nullable L1Entry<V> staleL2) {
    if (config.staleNanos <= 0) {
      return null;
    }
    long now = ticker.read();
    if (stale != null && now < stale.hardUntil) {
      return stale;
    }
    if (staleL2 != null && now < staleL2.hardUntil) {
      return staleL2;
    }
    return null;
  }

  /**
   * Writes a loaded or put value to both tiers. L1 is written only if no local or received
   * invalidation raced the load; L2 as {@code intent} says ({@link L2Write}), and a conditional
   * write only when L1 took the value. Oversized loaded values are returned but cached nowhere.
   * Completes {@code flight} once L1 holds the value, before the L2 write.
   */
  private L1Entry<V> store(K key, @Nullable V value, long stamp, byte @Nullable [] rkey,
      @Nullable RedisTier t, L2Write intent, @Nullable Flight<V> flight) {
    Prepared<V> p = prepare(key, value, t);
    if (!p.cacheable()) {
      return p.entry();
    }
    boolean current = installL1(key, p.entry(), stamp);
    if (flight != null) {
      flight.complete(p.entry());
    }
    byte[] envelope = p.envelope();
    if (t == null || envelope == null || rkey == null) {
      return p.entry();
    }
    if (intent instanceof L2Write.Overwrite) {
      if (t.set(rkey, envelope, p.px())) {
        repairs.remove(rkey);
      } else {
        metrics.l2WriteFailures.increment();
        scheduleRepair(rkey);
      }
    } else if (intent instanceof L2Write.IfUnchanged c && current) {
      if (!t.setIfVersion(rkey, envelope, p.px(), c.expectedVersion())) {
        metrics.l2WriteFailures.increment();
      }
    }
    return p.entry();
  }

  /**
   * A value made ready for both tiers: its L1 holder and, when there is an L2, the envelope and
   * its PX. Not cacheable: a null value without negative caching, or a value over {@code
   * maxValueBytes} (returned to the caller, cached nowhere).
   */
  @SuppressWarnings("ArrayRecordComponent") // never compared or hashed: a return value only
  private record Prepared<V>(L1Entry<V> entry, byte @Nullable [] envelope, long px, boolean cacheable) {}

  /** TTLs (jittered; L1 never outlives L2), version and envelope of one loaded or put value. */
  private Prepared<V> prepare(K key, @Nullable V value, @Nullable RedisTier t) {
    if (value == null && config.negativeTtlNanos == 0) {
      return new Prepared<>(notCached, null, 0, false);
    }
    byte[] valueBytes = null;
    if (t != null && value != null) {
      valueBytes = encodeValue(key, value);
      if (valueBytes.length > config.maxValueBytes) {
        metrics.oversized.increment();
        log.warn("cache {}: value is {} bytes, over maxValueBytes {}; not cached",
            name, valueBytes.length, config.maxValueBytes);
        return new Prepared<>(newEntry(value, ticker.read(), 0, 0), null, 0, false);
      }
    }
    long now = ticker.read();
    long l1Nanos = jitter(value == null ? config.negativeTtlNanos : config.l1TtlNanos);
    long l2Millis = value == null
        ? Math.max(1, TimeUnit.NANOSECONDS.toMillis(jitter(config.negativeTtlNanos)))
        : Math.max(1, jitter(config.l2TtlMillis));
    if (t == null) {
      return new Prepared<>(newEntry(value, now, l1Nanos, nextVersion()), null, 0, true);
    }
    l1Nanos = Math.min(l1Nanos, TimeUnit.MILLISECONDS.toNanos(l2Millis));
    L1Entry<V> entry = newEntry(value, now, l1Nanos, nextVersion());
    byte[] envelope = Envelope.encode(valueBytes, entry.version, entry.writeMillis, l2Millis, staleMillis);
    return new Prepared<>(entry, envelope, l2Millis + staleMillis, true);
  }

  private L1Entry<V> newEntry(@Nullable V value, long now, long ttlNanos, long version) {
    long freshUntil = plus(now, ttlNanos);
    long refreshAt = value != null && config.refreshAhead > 0
        ? plus(now, (long) (ttlNanos * config.refreshAhead))
        : Long.MAX_VALUE;
    return new L1Entry<>(value, version, wallMillis(now), refreshAt, freshUntil, plus(freshUntil, config.staleNanos));
  }

  /** {@code a + b} for ticker deadlines, saturating instead of overflowing. */
  private static long plus(long a, long b) {
    long r = a + b;
    if (((a ^ r) & (b ^ r)) < 0) {
      return b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
    }
    return r;
  }

  /** Whether Redis could not be asked: {@link RedisTier#READ_UNAVAILABLE} is a sentinel. */
  @SuppressWarnings("ReferenceEquality") // by value the sentinel equals Read.ABSENT; identity tells them apart
  private static boolean unavailable(RedisTier.Read read) {
    return read == RedisTier.READ_UNAVAILABLE;
  }

  /**
   * An L1 holder from what an L2 read returned, {@code null} when it cannot be read. Its freshness
   * comes from the key's PTTL (Redis' clock); past it (only the stale window left) → freshUntil = now.
   */
  private @Nullable L1Entry<V> fromEnvelope(RedisTier.Read read, long now) {
    byte[] raw = java.util.Objects.requireNonNull(read.value());
    Envelope env = Envelope.parse(raw);
    if (env == null) {
      metrics.decodeFailures.increment();
      return null;
    }
    if (env.tombstone) {
      return null;
    }
    V value = null;
    if (!env.negative) {
      try {
        value = java.util.Objects.requireNonNull(valueCodec).decode(env.valueBytes());
      } catch (RuntimeException e) {
        metrics.decodeFailures.increment();
        log.debug("cache {}: cannot decode the L2 value of a key, treating it as a miss", name, e);
        return null;
      }
      if (value == null) {
        metrics.decodeFailures.increment();
        return null;
      }
    }
    long remainingNanos = TimeUnit.MILLISECONDS.toNanos(env.remainingFreshMillis(read.pttl()));
    long ttl = Math.min(jitter(value == null ? config.negativeTtlNanos : config.l1TtlNanos), remainingNanos);
    if (ttl <= 0) {
      long physical = read.pttl() >= 0
          ? TimeUnit.MILLISECONDS.toNanos(read.pttl())
          : plus(Math.max(0, remainingNanos), config.staleNanos);
      return new L1Entry<>(value, env.version, env.writeMillis, Long.MAX_VALUE, now, plus(now, physical));
    }
    long refreshAt = value != null && config.refreshAhead > 0 ? plus(now, (long) (ttl * config.refreshAhead)) : Long.MAX_VALUE;
    return new L1Entry<>(value, env.version, env.writeMillis, refreshAt, plus(now, ttl), plus(plus(now, ttl), config.staleNanos));
  }

  private void refreshAhead(K key, Function<? super K, ? extends @Nullable V> loader, L1Entry<V> old) {
    if (inflight.containsKey(key)) {
      return;
    }
    Flight<V> mine = new Flight<>();
    if (inflight.putIfAbsent(key, mine) != null) {
      return;
    }
    try {
      executor.execute(() -> {
        try {
          mine.complete(refresh(key, loader, old, mine));
        } catch (RuntimeException | Error e) {
          log.debug("cache {}: refresh-ahead failed; the current value stays until it expires", name, e);
          mine.complete(old);
        } finally {
          inflight.remove(key, mine);
        }
      });
      metrics.refreshes.increment();
    } catch (RejectedExecutionException e) {
      inflight.remove(key, mine);
      mine.complete(old);
      metrics.refreshesRejected.increment();
    }
  }

  private L1Entry<V> refresh(K key, Function<? super K, ? extends @Nullable V> loader, L1Entry<V> old,
      Flight<V> flight) {
    long stamp = stamp(key);
    RedisTier t = l2;
    if (t == null) {
      return loadAndStore(key, loader, old, null, stamp, null, null, L2Write.SKIP, flight);
    }
    byte[] rkey = redisKey(encodeKey(key));
    RedisTier.Read read = t.get(rkey);
    flight.leaveLoader();
    if (unavailable(read)) {
      // L2's state is unknown: refresh L1 only
      return loadAndStore(key, loader, old, null, stamp, null, null, L2Write.SKIP, flight);
    }
    byte[] raw = read.value();
    if (raw != null) {
      Envelope env = Envelope.parse(raw);
      long now = ticker.read();
      if (env != null) {
        // another instance refreshed it already if less than the refresh fraction of its lifetime is gone (Redis' clock)
        long remaining = env.remainingFreshMillis(read.pttl());
        boolean young = remaining > 0 && env.freshMillis - remaining < (long) (env.freshMillis * config.refreshAhead);
        L1Entry<V> fromL2 = fromEnvelope(read, now);
        if (fromL2 != null && young && now < fromL2.freshUntil) {
          installL1(key, fromL2, stamp);
          return fromL2;
        }
      }
    }
    return loadAndStore(key, loader, old, null, stamp, rkey, t, L2Write.ifUnchanged(Envelope.versionBytes(raw)), flight);
  }

  @Override
  public @Nullable V getIfPresent(K key) {
    L1Entry<V> e = lookupIfPresent(key);
    return e == null ? null : e.value;
  }

  @Override
  public @Nullable CacheEntry<V> getEntryIfPresent(K key) {
    L1Entry<V> e = lookupIfPresent(key);
    return e == null || e.isNegative() ? null : e;
  }

  private @Nullable L1Entry<V> lookupIfPresent(K key) {
    checkKey(key);
    L1Entry<V> e = l1.getIfPresent(key);
    if (e != null && (!timeChecks || ticker.read() < e.freshUntil)) {
      metrics.l1Hits.increment();
      return e;
    }
    metrics.l1Misses.increment();
    RedisTier t = l2;
    if (t == null) {
      return null;
    }
    long stamp = stamp(key);
    RedisTier.Read read = t.get(redisKey(encodeKey(key)));
    if (unavailable(read)) {
      metrics.l2GetErrors.increment();
      return null;
    }
    if (read.value() == null) {
      metrics.l2Misses.increment();
      return null;
    }
    long now = ticker.read();
    L1Entry<V> fromL2 = fromEnvelope(read, now);
    if (fromL2 == null || now >= fromL2.freshUntil) {
      metrics.l2Misses.increment();
      return null;
    }
    metrics.l2Hits.increment();
    installL1(key, fromL2, stamp);
    return fromL2;
  }

  @Override
  public Map<K, V> getAll(Collection<? extends K> keys,
      Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> bulkLoader) {
    return getAll(keys, bulkLoader, false);
  }

  private Map<K, V> getAll(Collection<? extends K> keys,
      Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> bulkLoader, boolean skipL2) {
    requireNoNulls(keys, "keys");
    requireNonNull(bulkLoader, "bulkLoader");
    for (K key : keys) {
      checkKey(key);
    }
    Map<K, V> result = new LinkedHashMap<>((int) (keys.size() / 0.75f) + 1);
    // misses, in order, with what L1 still held for them (for stale-if-error); may repeat a key
    List<K> missing = new ArrayList<>();
    List<@Nullable L1Entry<V>> staleL1 = new ArrayList<>();
    long now = ticker.read();
    for (K key : keys) {
      L1Entry<V> e = l1.getIfPresent(key);
      if (e != null && (!timeChecks || now < e.freshUntil)) {
        metrics.l1Hits.increment();
        if (e.value != null) {
          result.put(key, e.value);
        }
      } else {
        metrics.l1Misses.increment();
        missing.add(key);
        staleL1.add(e);
      }
    }
    int n = missing.size();
    if (n == 0) {
      return result;
    }
    long[] stamps = new long[n];
    for (int i = 0; i < n; i++) {
      stamps[i] = stamp(missing.get(i));
    }
    RedisTier t = skipL2 ? null : l2;
    byte[][] rkeys = new byte[n][];
    byte[][] expected = new byte[n][];
    @SuppressWarnings("unchecked")
    L1Entry<V>[] staleL2 = (L1Entry<V>[]) new L1Entry<?>[n];
    boolean[] done = new boolean[n];
    int remaining = n;
    if (t != null) {
      List<byte[]> redisKeys = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        rkeys[i] = redisKey(encodeKey(missing.get(i)));
        redisKeys.add(rkeys[i]);
      }
      List<RedisTier.Read> values = t.mget(redisKeys);
      if (values == null) {
        metrics.l2GetErrors.add(n);
      } else {
        long after = ticker.read();
        for (int i = 0; i < n; i++) {
          K key = missing.get(i);
          RedisTier.Read read = values.get(i);
          byte[] raw = read.value();
          expected[i] = Envelope.versionBytes(raw);
          L1Entry<V> fromL2 = raw == null ? null : fromEnvelope(read, after);
          if (fromL2 != null && after < fromL2.freshUntil) {
            metrics.l2Hits.increment();
            installL1(key, fromL2, stamps[i], false);
            done[i] = true;
            remaining--;
            if (fromL2.value != null) {
              result.put(key, fromL2.value);
            }
          } else {
            metrics.l2Misses.increment();
            staleL2[i] = fromL2;
          }
        }
      }
    }
    if (remaining == 0) {
      return result;
    }
    Set<K> toLoad = new LinkedHashSet<>((int) (remaining / 0.75f) + 1);
    for (int i = 0; i < n; i++) {
      if (!done[i]) {
        toLoad.add(missing.get(i));
      }
    }
    Map<? extends K, ? extends V> loaded;
    Span span = tracer.spanBuilder("cache.load").setAttribute("scaleblocks.cache", name)
        .setAttribute("scaleblocks.cache.keys", toLoad.size()).startSpan();
    long start = ticker.read();
    try {
      loaded = bulkLoader.apply(Collections.unmodifiableSet(toLoad));
      if (loaded == null) {
        throw new NullPointerException("bulkLoader returned null");
      }
    } catch (RuntimeException | Error e) {
      metrics.loadFailure.increment();
      metrics.recordLoad(ticker.read() - start);
      span.recordException(e);
      span.setStatus(StatusCode.ERROR);
      span.end();
      Map<K, V> fallback = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        if (!done[i]) {
          L1Entry<V> s = staleFallback(staleL1.get(i), staleL2[i]);
          if (s == null) {
            throw e;
          }
          if (s.value != null) {
            fallback.put(missing.get(i), s.value);
          }
        }
      }
      metrics.staleServed.add(fallback.size());
      result.putAll(fallback);
      return result;
    }
    metrics.loadSuccess.increment();
    metrics.recordLoad(ticker.read() - start);
    span.end();
    List<byte[]> writeKeys = new ArrayList<>();
    List<byte[]> writeValues = new ArrayList<>();
    List<Long> writePx = new ArrayList<>();
    List<byte[]> writeExpected = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      K key = missing.get(i);
      if (done[i] || !toLoad.remove(key)) {
        continue; // found in L2, or a repeated key already stored
      }
      V value = loaded.get(key);
      // keys whose L2 read failed are not written: nothing to compare with
      byte[] exp = expected[i];
      byte[] rk = exp == null ? null : rkeys[i];
      int before = writeKeys.size();
      L1Entry<V> entry = storeL1ForBulk(key, value, stamps[i], t, rk, writeKeys, writeValues, writePx);
      if (writeKeys.size() > before) {
        writeExpected.add(exp);
      }
      if (entry.value != null) {
        result.put(key, entry.value);
      }
    }
    if (t != null && !writeKeys.isEmpty()) {
      long[] px = new long[writePx.size()];
      for (int i = 0; i < px.length; i++) {
        px[i] = writePx.get(i);
      }
      if (!t.setAllIfVersion(writeKeys, writeValues, px, writeExpected)) {
        metrics.l2WriteFailures.add(writeKeys.size());
      }
    }
    return result;
  }

  private L1Entry<V> storeL1ForBulk(K key, @Nullable V value, long stamp, @Nullable RedisTier t,
      byte @Nullable [] rkey, List<byte[]> keysOut, List<byte[]> valuesOut, List<Long> pxOut) {
    Prepared<V> p = prepare(key, value, t);
    byte[] envelope = p.envelope();
    if (p.cacheable() && installL1(key, p.entry(), stamp, false) && envelope != null && rkey != null) {
      keysOut.add(rkey);
      valuesOut.add(envelope);
      pxOut.add(p.px());
    }
    return p.entry();
  }

  // ------------------------------------------------------------------ writes

  @Override
  public void put(K key, V value) {
    checkKey(key);
    requireNonNull(value, "value");
    RedisTier t = l2;
    byte[] keyBytes = null;
    byte[] rkey = null;
    if (t != null) {
      keyBytes = encodeKey(key);
      rkey = redisKey(keyBytes);
      byte[] valueBytes = encodeValue(key, value);
      checkSize(valueBytes.length);
    }
    writeOne(key, value, keyBytes, rkey, t);
  }

  private void writeOne(K key, V value, byte @Nullable [] keyBytes, byte @Nullable [] rkey, @Nullable RedisTier t) {
    bump(key);
    L1Entry<V> mine = store(key, value, stamp(key), rkey, t, L2Write.OVERWRITE, null);
    afterL2Write(key, mine);
    InvalidationBus b = bus;
    if (b != null && keyBytes != null) {
      b.publishKeys(List.of(keyBytes));
    }
  }

  @Override
  public void putAll(Map<? extends K, ? extends V> values) {
    requireNonNull(values, "values");
    for (Map.Entry<? extends K, ? extends V> e : values.entrySet()) {
      checkKey(e.getKey());
      requireNonNull(e.getValue(), "value");
    }
    RedisTier t = l2;
    List<byte[]> keyBytes = new ArrayList<>();
    List<byte[]> rkeys = new ArrayList<>();
    List<byte[]> valueBytes = new ArrayList<>();
    if (t != null) {
      for (Map.Entry<? extends K, ? extends V> e : values.entrySet()) {
        byte[] kb = encodeKey(e.getKey());
        byte[] vb = encodeValue(e.getKey(), e.getValue());
        checkSize(vb.length);
        keyBytes.add(kb);
        rkeys.add(redisKey(kb));
        valueBytes.add(vb);
      }
    }
    List<byte[]> envelopes = new ArrayList<>();
    List<L1Entry<V>> installed = new ArrayList<>(values.size());
    long[] px = new long[values.size()];
    int i = 0;
    for (Map.Entry<? extends K, ? extends V> e : values.entrySet()) {
      K key = e.getKey();
      bump(key);
      long now = ticker.read();
      long l2Millis = Math.max(1, jitter(config.l2TtlMillis));
      long l1Nanos = jitter(config.l1TtlNanos);
      if (t != null) {
        l1Nanos = Math.min(l1Nanos, TimeUnit.MILLISECONDS.toNanos(l2Millis));
      }
      L1Entry<V> entry = newEntry(e.getValue(), now, l1Nanos, nextVersion());
      installL1(key, entry, stamp(key));
      installed.add(entry);
      if (t != null) {
        envelopes.add(Envelope.encode(valueBytes.get(i), entry.version, entry.writeMillis, l2Millis, staleMillis));
        px[i] = l2Millis + staleMillis;
      }
      i++;
    }
    if (t != null && !rkeys.isEmpty()) {
      settle(t.setAll(rkeys, envelopes, px), rkeys);
      int j = 0;
      for (K key : values.keySet()) {
        afterL2Write(key, installed.get(j++));
      }
      InvalidationBus b = bus;
      if (b != null) {
        b.publishKeys(keyBytes);
      }
    }
  }

  @Override
  public void invalidate(K key) {
    checkKey(key);
    invalidateAll(List.of(key));
  }

  @Override
  public void invalidateAll(Collection<? extends K> keys) {
    requireNoNulls(keys, "keys");
    for (K key : keys) {
      checkKey(key);
    }
    RedisTier t = l2;
    List<byte[]> keyBytes = new ArrayList<>(keys.size());
    List<byte[]> rkeys = new ArrayList<>(keys.size());
    if (t != null) {
      for (K key : keys) {
        byte[] kb = encodeKey(key);
        keyBytes.add(kb);
        rkeys.add(redisKey(kb));
      }
    }
    for (K key : keys) {
      bump(key);
      l1.invalidate(key);
    }
    if (t != null && !rkeys.isEmpty()) {
      settle(writeTombstones(t, rkeys), rkeys);
      for (K key : keys) {
        afterL2Write(key, null);
      }
      InvalidationBus b = bus;
      if (b != null) {
        b.publishKeys(keyBytes);
      }
    }
  }

  private boolean writeTombstones(RedisTier t, List<byte[]> rkeys) {
    List<byte[]> tombstones = new ArrayList<>(rkeys.size());
    long[] px = new long[rkeys.size()];
    long wall = wallMillis(ticker.read());
    for (int i = 0; i < px.length; i++) {
      tombstones.add(Envelope.tombstone(nextVersion(), wall));
      px[i] = tombstoneMillis;
    }
    return t.setAll(rkeys, tombstones, px);
  }

  /**
   * After a put's or invalidation's L2 write: a load on this instance that read L2 before the write
   * landed may have installed what it read, over the put's entry or after the invalidation. Bumping
   * the stamp again fails every such load still on its way; dropping whatever L1 now holds for the
   * key, unless it is the put's own entry ({@code mine}; null for an invalidation), removes one that
   * got in before. Only ever removes: a newer entry dropped costs one L2 read.
   */
  private void afterL2Write(K key, @Nullable L1Entry<V> mine) {
    bump(key);
    l1Map.computeIfPresent(key, (k, current) -> current == mine ? current : null);
  }

  /** After a put's or invalidation's L2 write: a success cancels pending repairs of its keys, a failure queues them. */
  private void settle(boolean written, List<byte[]> rkeys) {
    if (written) {
      for (byte[] rk : rkeys) {
        repairs.remove(rk);
      }
      return;
    }
    metrics.l2WriteFailures.add(rkeys.size());
    for (byte[] rk : rkeys) {
      scheduleRepair(rk);
    }
  }

  /**
   * Remembers a key whose put or invalidation could not reach Redis: once Redis answers again, a
   * tombstone replaces whatever older value L2 still holds and the other instances are told again.
   * One entry per key, however often it was written.
   */
  private void scheduleRepair(byte[] rkey) {
    if (!repairs.add(rkey) && repairOverflowLogged.compareAndSet(false, true)) {
      log.error("cache {}: more than {} distinct keys could not be written to redis; some may stay stale in L2 "
          + "until their TTL", name, MAX_REPAIRS);
    }
  }

  /** Retries the tombstones of failed writes; runs on the publisher thread and before writes. */
  void repair() {
    RedisTier t = l2;
    if (t == null || repairs.isEmpty() || !repairLock.tryLock()) {
      return;
    }
    try {
      List<byte[]> batch = repairs.poll(1000);
      if (batch.isEmpty()) {
        return;
      }
      if (writeTombstones(t, batch)) {
        repairOverflowLogged.set(false);
        InvalidationBus b = bus;
        if (b != null) {
          List<byte[]> keyBytes = new ArrayList<>(batch.size());
          for (byte[] rk : batch) {
            keyBytes.add(java.util.Arrays.copyOfRange(rk, config.keyPrefix.length, rk.length));
          }
          b.publishKeys(keyBytes);
        }
        log.info("cache {}: {} key(s) that missed redis during an outage are repaired", name, batch.size());
      } else {
        repairs.requeue(batch);
      }
    } finally {
      repairLock.unlock();
    }
  }

  /** Test hook: keys waiting for a repair. */
  int pendingRepairs() {
    return repairs.size();
  }

  @Override
  public void onTick() {
    repair();
  }

  @Override
  public void invalidateAll() {
    epoch.incrementAndGet();
    l1.invalidateAll();
    RedisTier t = l2;
    if (t != null) {
      if (!t.deleteByPrefix(config.keyPrefix)) {
        metrics.l2WriteFailures.increment();
      }
      InvalidationBus b = bus;
      if (b != null) {
        b.publishAll();
      }
    }
  }

  // ------------------------------------------------------------------ async

  @Override
  public CompletableFuture<@Nullable V> getAsync(K key, Function<? super K, ? extends @Nullable V> loader) {
    return getEntryInternalAsync(key, loader).thenApply(e -> e.value);
  }

  @Override
  public CompletableFuture<@Nullable CacheEntry<V>> getEntryAsync(
      K key, Function<? super K, ? extends @Nullable V> loader) {
    return getEntryInternalAsync(key, loader).thenApply(e -> e.isNegative() ? null : e);
  }

  private CompletableFuture<L1Entry<V>> getEntryInternalAsync(
      K key, Function<? super K, ? extends @Nullable V> loader) {
    checkKey(key);
    requireNonNull(loader, "loader");
    L1Entry<V> e = l1.getIfPresent(key);
    if (e != null && (!timeChecks || ticker.read() < e.refreshAt)) {
      metrics.l1Hits.increment();
      return CompletableFuture.completedFuture(e);
    }
    RedisTier t = l2;
    if (e == null && t != null && t.nonBlocking() && !t.refusing() && !inflight.containsKey(key)) {
      return missWithoutBlocking(key, loader, t);
    }
    return async(() -> lookup(key, loader), () -> {
      metrics.l1Misses.increment();
      return miss(key, loader, e, true);
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
    long stamp = stamp(key);
    byte[] rkey = redisKey(encodeKey(key));
    return t.getAsync(rkey).thenCompose(read -> {
      if (!unavailable(read) && read.value() != null) {
        long now = ticker.read();
        L1Entry<V> fromL2 = fromEnvelope(read, now);
        if (fromL2 != null && now < fromL2.freshUntil) {
          metrics.l2Hits.increment();
          installL1(key, fromL2, stamp, false); // L1 maintenance off this thread
          return CompletableFuture.completedFuture(fromL2);
        }
      }
      PriorRead prior = new PriorRead(stamp, rkey, t, read);
      return async(() -> miss(key, loader, null, false, prior), () -> miss(key, loader, null, true),
          true);
    });
  }

  @Override
  public CompletableFuture<@Nullable V> getIfPresentAsync(K key) {
    checkKey(key);
    L1Entry<V> e = l1.getIfPresent(key);
    if (e != null && (!timeChecks || ticker.read() < e.freshUntil)) {
      metrics.l1Hits.increment();
      return CompletableFuture.completedFuture(e.value);
    }
    return async(() -> getIfPresent(key), () -> null);
  }

  @Override
  public CompletableFuture<Map<K, V>> getAllAsync(Collection<? extends K> keys,
      Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> bulkLoader) {
    requireNoNulls(keys, "keys");
    requireNonNull(bulkLoader, "bulkLoader");
    for (K key : keys) {
      checkKey(key);
    }
    List<K> copy = List.copyOf(keys);
    return async(() -> getAll(copy, bulkLoader, false), () -> getAll(copy, bulkLoader, true));
  }

  @Override
  public CompletableFuture<Void> putAsync(K key, V value) {
    checkKey(key);
    requireNonNull(value, "value");
    RedisTier t = l2;
    if (t == null) {
      put(key, value);
      return CompletableFuture.completedFuture(null);
    }
    byte[] keyBytes = encodeKey(key);
    byte[] rkey = redisKey(keyBytes);
    checkSize(encodeValue(key, value).length);
    if (t.refusing()) {
      // the breaker is open: no reason to queue the write behind loads; L1 and the other
      // instances now, Redis through the repair queue, no I/O on the caller's thread
      metrics.l2WriteFailures.increment();
      writeOne(key, value, keyBytes, null, null);
      scheduleRepair(rkey);
      return CompletableFuture.completedFuture(null);
    }
    bump(key);
    l1.invalidate(key);
    return async(() -> {
      writeOne(key, value, keyBytes, rkey, t);
      return null;
    }, () -> {
      // saturated: L1 and the other instances now, Redis through the repair queue
      metrics.l2WriteFailures.increment();
      writeOne(key, value, keyBytes, null, null);
      scheduleRepair(rkey);
      return null;
    });
  }

  @Override
  public CompletableFuture<Void> invalidateAsync(K key) {
    checkKey(key);
    byte[] rkey = l2 == null ? null : redisKey(encodeKey(key));
    bump(key);
    l1.invalidate(key);
    if (rkey == null) {
      return CompletableFuture.completedFuture(null);
    }
    if (java.util.Objects.requireNonNull(l2).refusing()) {
      // the breaker is open: the repair queue writes the tombstone and tells the other instances
      metrics.l2WriteFailures.increment();
      scheduleRepair(rkey);
      return CompletableFuture.completedFuture(null);
    }
    return async(() -> {
      invalidateAll(List.of(key));
      return null;
    }, () -> {
      // saturated: the repair queue writes the tombstone and tells the other instances
      metrics.l2WriteFailures.increment();
      scheduleRepair(rkey);
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
    long latestStart = l2TimeoutNanos / 4;
    try {
      return CompletableFuture.supplyAsync(
          () -> System.nanoTime() - queuedAt > latestStart ? whenSaturated.get() : task.get(), executor);
    } catch (RejectedExecutionException e) {
      if (offThisThread) {
        return CompletableFuture.supplyAsync(whenSaturated, java.util.concurrent.ForkJoinPool.commonPool());
      }
      try {
        return CompletableFuture.completedFuture(whenSaturated.get());
      } catch (RuntimeException | Error ex) {
        return CompletableFuture.failedFuture(ex);
      }
    }
  }

  // ------------------------------------------------------------------ invalidation

  @Override
  public void onRemoteKeys(List<byte[]> keys) {
    Codec<K> codec = java.util.Objects.requireNonNull(keyCodec);
    for (byte[] bytes : keys) {
      K key;
      try {
        key = codec.decode(bytes);
      } catch (RuntimeException e) {
        onClearAll("undecodable key in invalidation message", 0);
        return;
      }
      if (key == null) {
        onClearAll("undecodable key in invalidation message", 0);
        return;
      }
      bump(key);
      l1.invalidate(key);
    }
  }

  @Override
  public void onClearAll(String reason, long lost) {
    epoch.incrementAndGet();
    l1.invalidateAll();
    metrics.l1Clears.increment();
    log.debug("cache {}: L1 cleared: {}", name, reason);
  }

  /** Test hook: what L1 holds for {@code key}, without touching L2, stats or deadlines. */
  @Nullable V peekL1(K key) {
    L1Entry<V> e = l1Map.get(key);
    return e == null ? null : e.value;
  }

  /** Test hook: the invalidation subscription's state. */
  boolean invalidationConnected() {
    InvalidationBus b = bus;
    return b != null && b.isConnected();
  }

  /** Test hook: drops the invalidation subscription as a network failure would. */
  void dropInvalidationSubscription() {
    InvalidationBus b = bus;
    if (b != null) {
      b.dropSubscription();
    }
  }

  // ------------------------------------------------------------------ helpers

  private int stripe(Object key) {
    int h = key.hashCode();
    h ^= h >>> 16;
    return (h * 0x9E3779B9) >>> 22;
  }

  private long stamp(K key) {
    return stripes.get(stripe(key)) + epoch.get();
  }

  private void bump(K key) {
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
      java.util.concurrent.ForkJoinPool.commonPool().execute(task);
    }
  }

  private void putL1(K key, L1Entry<V> entry, boolean inlineMaintenance) {
    if (!inlineMaintenance) {
      l1.put(key, entry);
      return;
    }
    inlineWrites.incrementAndGet();
    try {
      l1.put(key, entry);
    } finally {
      inlineWrites.decrementAndGet();
    }
  }

  /** Puts {@code entry} in L1 unless an invalidation raced the load that made it. */
  private boolean installL1(K key, L1Entry<V> entry, long stamp) {
    return installL1(key, entry, stamp, true);
  }

  /**
   * As {@link #installL1(Object, L1Entry, long)}; bulk paths pass {@code inlineMaintenance =
   * false} so that one pool task does the maintenance of the whole batch.
   */
  private boolean installL1(K key, L1Entry<V> entry, long stamp, boolean inlineMaintenance) {
    if (stamp(key) != stamp) {
      return false;
    }
    putL1(key, entry, inlineMaintenance);
    if (stamp(key) != stamp) {
      l1Map.remove(key, entry);
      return false;
    }
    return true;
  }

  private long jitter(long ttl) {
    if (config.ttlJitter <= 0 || ttl <= 0) {
      return ttl;
    }
    return ttl - (long) (ttl * config.ttlJitter * ThreadLocalRandom.current().nextDouble());
  }

  private long nextVersion() {
    return versionNonce | (versionCounter.incrementAndGet() & 0xFF_FFFF_FFFFL);
  }

  private long wallMillis(long nanos) {
    return wallBaseMillis + Math.floorDiv(nanos - wallBaseNanos, 1_000_000L);
  }

  private byte[] encodeKey(K key) {
    byte[] bytes = encode(java.util.Objects.requireNonNull(keyCodec), key, "keyCodec", "key ", key);
    if (bytes.length > config.maxKeyLength) {
      throw new IllegalArgumentException(
          "key length must be at most " + config.maxKeyLength + " but was " + bytes.length);
    }
    return bytes;
  }

  /**
   * Refuses a null or (for String keys, by characters) over-long key before anything is touched;
   * other keys are measured by their encoded bytes when they are encoded, before any Redis call.
   */
  private void checkKey(@Nullable K key) {
    requireNonNull(key, "key");
    if (key instanceof String s && s.length() > config.maxKeyLength) {
      throw new IllegalArgumentException(
          "key length must be at most " + config.maxKeyLength + " but was " + s.length());
    }
  }

  private byte[] redisKey(byte[] keyBytes) {
    return concat(config.keyPrefix, keyBytes);
  }

  private byte[] encodeValue(K key, V value) {
    return encode(java.util.Objects.requireNonNull(valueCodec), value, "valueCodec", "the value of key ", key);
  }

  /**
   * Runs a user codec; a throw or a null becomes an exception naming the codec and the key (the
   * message is only built on failure).
   */
  private static <T> byte[] encode(Codec<T> codec, T input, String codecName, String what, Object key) {
    byte[] bytes;
    try {
      bytes = codec.encode(input);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(codecName + " failed to encode " + what + key + ": " + e, e);
    }
    if (bytes == null) {
      throw new IllegalArgumentException(codecName + " returned null for " + what + key);
    }
    return bytes;
  }

  private void checkSize(int size) {
    if (size > config.maxValueBytes) {
      metrics.oversized.increment();
      throw new IllegalArgumentException(
          "value must be at most maxValueBytes " + config.maxValueBytes + " bytes encoded but was " + size);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Override
  public long estimatedL1Size() {
    return l1.estimatedSize();
  }

  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      return;
    }
    InvalidationBus b = bus;
    if (b != null) {
      b.close();
    }
    executor.shutdown();
    RedisTier t = l2;
    if (t != null) {
      t.close();
    }
    CircuitBreaker own = ownBreaker;
    if (own != null) {
      own.close();
    }
    metrics.close();
  }

  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  @Override
  public String toString() {
    return "TieredCache[" + name + ", instance " + config.instanceId + (l2 == null ? ", L1 only]" : "]");
  }
}
