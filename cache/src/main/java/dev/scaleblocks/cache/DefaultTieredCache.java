package dev.scaleblocks.cache;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.internal.redis.CoalescingJedisBackend;
import dev.scaleblocks.core.internal.redis.RedisBackends;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link TieredCache} implementation: the read path of one key (lookup, miss, L2, load, store)
 * and the wiring of the parts that do the rest, each with one job:
 *
 * <ul>
 *   <li>{@link L1Tier}: the Caffeine map, its stamps, holders and maintenance;
 *   <li>{@link L2Writer} with {@link L2Write} intents and the {@link RepairQueue}: every write to L2;
 *   <li>{@link ClusterLease}: the cluster-wide single flight between an L2 miss and a load;
 *   <li>{@link BulkOps}: {@code getAll}, {@code putAll}, {@code invalidateAll(keys)};
 *   <li>{@link AsyncView}: the {@code ...Async} operations and the executor hand-off;
 *   <li>{@link Encoding}: codecs, the key prefix and the size limits.
 * </ul>
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
 * <p><b>Load timeouts.</b> A miss with {@link LoadTimeouts} reads L2 on its own thread as usual;
 * if it must load and a timeout can apply (a hard one, or a soft one with a stale value at hand),
 * the leader hands the load (lease and loader) to the executor and waits for its own flight until
 * the deadline, then serves the stale value or throws {@link CacheLoadTimeoutException}, marking
 * the flight {@linkplain Flight#release released}; the load then finishes on the executor and
 * publishes the key after its L2 write, as a put does. Waiters apply their own call's deadlines.
 * The async forms put the same deadlines on the returned future ({@link AsyncLoads}).
 *
 * <p><b>No stale refill.</b> A load takes the key's {@linkplain L1Tier#stamp stamp} before it reads
 * L2 or calls the loader, and its result enters the L1 only if no invalidation (local, remote, or a
 * put) bumped the stamp meanwhile (see {@link L1Tier}). A load that raced an invalidation is returned
 * to its caller but never enters the L1, nor (for loader results) the L2.
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
 *
 * <p>Thread-safe. Cost: a fresh hit is one Caffeine read; a miss one L2 round trip on the calling
 * thread (bounded by the L2 timeout), then possibly the loader and one L2 write.
 */
final class DefaultTieredCache<K, V> implements TieredCache<K, V>, InvalidationBus.Listener {

  private static final Logger log = LoggerFactory.getLogger(DefaultTieredCache.class);
  private static final int MAX_REPAIRS = 100_000;

  final CacheConfig config;
  private final String name;
  final L1Tier<K, V> l1;
  final Encoding<K, V> encoding;
  private final ConcurrentHashMap<K, Flight<V>> inflight = new ConcurrentHashMap<>();
  final Ticker ticker;
  /** Whether a hit compares the ticker with the holder's deadlines (refresh-ahead or stale-if-error on). */
  final boolean timeChecks;
  final CacheMetrics metrics;
  final Tracer tracer;
  /** Writes to L2; {@code null} for a cache without L2 (and then there is no bus either). */
  final @Nullable L2Writer writer;
  private final @Nullable InvalidationBus bus;
  private final ThreadPoolExecutor executor;
  private final RepairQueue repairs;
  private final long l2TimeoutNanos;
  final long staleMillis;
  private final ClusterLease<K, V> lease;
  final BulkOps<K, V> bulk;
  private final AsyncView<K, V> async;
  private final AsyncLoads<K, V> asyncLoads;
  /** Without a bus: the periodic check that hands pending repairs to the executor; else null. */
  private final java.util.concurrent.@Nullable ScheduledFuture<?> repairTick;
  /** The breaker this cache built for itself (none given); closed with the cache. */
  private final @Nullable CircuitBreaker ownBreaker;
  private final AtomicBoolean closed = new AtomicBoolean();

  DefaultTieredCache(CacheConfig config) {
    this.config = config;
    this.name = config.name;
    this.ticker = config.ticker;
    this.timeChecks = config.refreshAhead > 0 || config.staleNanos > 0;
    this.metrics = new CacheMetrics(config.telemetry.meterRegistry(), name);
    this.l2TimeoutNanos = config.l2TimeoutNanos;
    this.staleMillis = TimeUnit.NANOSECONDS.toMillis(config.staleNanos);
    this.tracer = config.telemetry.tracer();
    this.encoding = new Encoding<>(config, metrics);
    this.l1 = new L1Tier<>(config, metrics);
    this.repairs = new RepairQueue(MAX_REPAIRS, name);
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
      Duration l2Timeout = Duration.ofNanos(config.l2TimeoutNanos);
      RedisTier l2;
      if (config.redis instanceof redis.clients.jedis.UnifiedJedis jedis) {
        l2 = config.coalesce
            ? new BackendTier(CoalescingJedisBackend.of(jedis, CoalescingJedisBackend.DEFAULT_QUEUE_CAPACITY),
                false, breaker, ticker, tracer, name, metrics, l2Timeout)
            : new JedisTier(jedis, breaker, ticker, tracer, name, metrics, l2Timeout);
      } else {
        l2 = new BackendTier(RedisBackends.of(config.redis), true, breaker, ticker, tracer, name,
            metrics, l2Timeout);
      }
      breaker.onStateTransition(t -> {
        if (t.to() == CircuitBreaker.State.OPEN && t.from() == CircuitBreaker.State.CLOSED) {
          log.warn("cache {}: redis tier unavailable, serving from L1 and the loader ({})", name, t.reason());
        } else if (t.to() == CircuitBreaker.State.CLOSED) {
          log.info("cache {}: redis tier available again", name);
        }
      });
      this.bus = config.invalidation
          ? new InvalidationBus(l2, this, metrics, name, config.instanceId, config.heartbeatNanos)
          : null;
      this.writer = new L2Writer(config, l2, l1, encoding, metrics, repairs, bus);
      // the bus's publisher runs the repairs on its tick; without one, a shared timer checks
      this.repairTick = bus != null ? null : RepairTicks.TIMER.scheduleWithFixedDelay(this::repairSoon,
          config.heartbeatNanos, config.heartbeatNanos, TimeUnit.NANOSECONDS);
    } else {
      this.writer = null;
      this.bus = null;
      this.repairTick = null;
      this.ownBreaker = null;
    }
    this.lease = new ClusterLease<>(this, config, metrics);
    this.bulk = new BulkOps<>(this);
    this.asyncLoads = new AsyncLoads<>(this, executor);
    this.async = new AsyncView<>(this, executor, asyncLoads);
    InvalidationBus b = bus;
    if (b != null) {
      b.start(Duration.ofSeconds(1));
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
    return lookup(key, loader, config.loadTimeouts).value;
  }

  @Override
  public @Nullable V get(K key, Function<? super K, ? extends @Nullable V> loader, LoadTimeouts timeouts) {
    return lookup(key, loader, requireNonNull(timeouts, "timeouts")).value;
  }

  @Override
  public @Nullable V get(K key, Function<? super K, ? extends @Nullable V> loader, Set<String> tags) {
    TagSet t = TagSet.of(tags);
    requireNonNull(loader, "loader");
    return lookup(key, t == null ? loader : new TaggedLoader<K, V>(loader, t), config.loadTimeouts).value;
  }

  @Override
  public @Nullable CacheEntry<V> getEntry(K key, Function<? super K, ? extends @Nullable V> loader) {
    L1Entry<V> e = lookup(key, loader, config.loadTimeouts);
    return e.isNegative() ? null : e;
  }

  /**
   * The hit path: small on purpose. Everything a fresh hit does not need is in {@link #notFresh},
   * so that this method (with Caffeine's {@code getIfPresent} inlined into it) stays within what
   * the JIT inlines into a caller whatever order it compiles things in.
   */
  L1Entry<V> lookup(K key, Function<? super K, ? extends @Nullable V> loader, LoadTimeouts timeouts) {
    encoding.checkKey(key);
    requireNonNull(loader, "loader");
    L1Entry<V> e = l1.getIfPresent(key);
    if (e != null && (!timeChecks || ticker.read() < e.refreshAt)) {
      metrics.l1Hits.increment();
      return e;
    }
    return notFresh(key, loader, e, timeouts);
  }

  /** An entry due for refresh-ahead, past its fresh time, or absent. */
  private L1Entry<V> notFresh(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> e, LoadTimeouts timeouts) {
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
    return miss(key, loader, e, false, null, timeouts);
  }

  /** An L2 read made before the miss was handed to a thread that may load (see {@link AsyncView}). */
  @SuppressWarnings("ArrayRecordComponent") // carried along, never compared
  record PriorRead(long stamp, byte[] rkey, RedisTier tier, RedisTier.Read read) {}

  /** Whether a load of {@code key} is in flight on this instance. */
  boolean loading(K key) {
    return inflight.containsKey(key);
  }

  /**
   * A miss under single flight: leads the load of {@code key}, or waits for the load in flight.
   * {@code skipL2}: neither read nor write L2; {@code prior}: the L2 read already made.
   */
  L1Entry<V> miss(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> stale, boolean skipL2, @Nullable PriorRead prior) {
    return miss(key, loader, stale, skipL2, prior, LoadTimeouts.none());
  }

  /** As {@link #miss(Object, Function, L1Entry, boolean, PriorRead)} under {@code timeouts}. */
  L1Entry<V> miss(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> stale, boolean skipL2, @Nullable PriorRead prior, LoadTimeouts timeouts) {
    long start = timeouts.enabled() ? System.nanoTime() : 0;
    Flight<V> mine = new Flight<>();
    Flight<V> running = inflight.putIfAbsent(key, mine);
    if (running != null) {
      L1Entry<V> mayServe = timeouts.enabled() ? staleFallback(stale, null) : null;
      long deadline = deadline(timeouts, mayServe != null, start);
      L1Entry<V> led = running.await(l2TimeoutNanos, deadline);
      if (led != null) {
        return led;
      }
      if (deadline != Long.MAX_VALUE && System.nanoTime() - deadline >= 0) {
        return timedOut(running, mayServe, timeouts);
      }
      // the leader is stuck on Redis: serve what L1 still holds, or load without Redis
      L1Entry<V> fallback = staleFallback(stale, null);
      if (fallback != null) {
        metrics.staleServed.increment();
        return fallback;
      }
      return loadAndStore(key, loader, stale, null, l1.stamp(key), L2Write.SKIP, null);
    }
    if (timeouts.enabled()) {
      mine.timeouts = timeouts;
      mine.start = start;
    }
    try {
      L1Entry<V> result = prior == null
          ? loadThroughTiers(key, loader, stale, skipL2, mine)
          : afterL2Read(key, loader, stale, prior.stamp(), prior.rkey(), prior.tier(), prior.read(), mine);
      if (!mine.handedOff) {
        mine.complete(result);
      }
      return result;
    } catch (RuntimeException | Error e) {
      if (!mine.handedOff) {
        mine.completeExceptionally(e);
      }
      throw e;
    } finally {
      if (!mine.handedOff) {
        inflight.remove(key, mine);
      }
    }
  }

  /**
   * When a caller under {@code timeouts} stops waiting ({@code Long.MAX_VALUE}: never): at the
   * soft timeout if it has a stale value to serve, else at the hard timeout.
   */
  static long deadline(LoadTimeouts timeouts, boolean hasStale, long start) {
    if (hasStale && timeouts.softNanos > 0) {
      return start + timeouts.softNanos;
    }
    return timeouts.hardNanos > 0 ? start + timeouts.hardNanos : Long.MAX_VALUE;
  }

  /**
   * A caller's deadline passed with {@code flight} still loading: serves {@code stale} (counted as
   * a soft or hard timeout) or throws {@link CacheLoadTimeoutException}; the flight's result will
   * be published when it comes.
   */
  L1Entry<V> timedOut(Flight<V> flight, @Nullable L1Entry<V> stale, LoadTimeouts timeouts) {
    flight.release();
    if (stale != null) {
      (timeouts.softNanos > 0 ? metrics.softTimeoutStale : metrics.hardTimeoutStale).increment();
      return stale;
    }
    metrics.hardTimeoutFailures.increment();
    throw new CacheLoadTimeoutException(name, Duration.ofNanos(timeouts.hardNanos));
  }

  /**
   * One load step of a miss (lease and loader, then the store). Without timeouts on the flight,
   * or when none can apply (only a soft one and nothing stale), it runs here. Otherwise it runs on
   * the executor while this thread waits for the flight until its deadline (see {@link #timedOut});
   * a saturated executor runs it here, unbounded.
   */
  private L1Entry<V> loadStep(K key, @Nullable Flight<V> flight, @Nullable L1Entry<V> stale,
      @Nullable L1Entry<V> staleL2, Supplier<L1Entry<V>> step) {
    LoadTimeouts timeouts = flight == null ? null : flight.timeouts;
    if (flight == null || timeouts == null) {
      return step.get();
    }
    L1Entry<V> mayServe = staleFallback(stale, staleL2);
    long deadline = deadline(timeouts, mayServe != null, flight.start);
    if (deadline == Long.MAX_VALUE) {
      return step.get();
    }
    flight.handedOff = true;
    try {
      executor.execute(() -> {
        try {
          flight.complete(step.get());
        } catch (RuntimeException | Error e) {
          log.debug("cache {}: a load handed to the executor failed", name, e);
          flight.completeExceptionally(e);
        } finally {
          inflight.remove(key, flight);
        }
      });
    } catch (RejectedExecutionException e) {
      flight.handedOff = false;
      return step.get();
    }
    try {
      return flight.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return timedOut(flight, mayServe, timeouts);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (mayServe != null) {
        flight.release();
        return mayServe;
      }
      throw new IllegalStateException("cache " + name + ": interrupted while waiting for a load", e);
    } catch (ExecutionException e) {
      throw Flight.rethrow(e.getCause());
    }
  }

  L1Entry<V> loadThroughTiers(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> stale, boolean skipL2, @Nullable Flight<V> flight) {
    long stamp = l1.stamp(key);
    L2Writer w = skipL2 ? null : writer;
    if (w == null) {
      return loadStep(key, flight, stale, null,
          () -> loadAndStore(key, loader, stale, null, stamp, L2Write.SKIP, flight));
    }
    RedisTier t = w.tier();
    byte[] rkey = encoding.redisKey(encoding.encodeKey(key));
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
    L1Entry<V> staleL2 = null;
    if (unavailable(read)) {
      metrics.l2GetErrors.increment();
      // whatever L2 holds is unknown, so the load does not write L2
      return loadStep(key, flight, stale, null,
          () -> loadAndStore(key, loader, stale, null, stamp, L2Write.SKIP, flight));
    }
    if (raw != null) {
      long now = ticker.read();
      L1Entry<V> fromL2 = fromEnvelope(read, now);
      if (fromL2 != null && now < fromL2.freshUntil) {
        metrics.l2Hits.increment();
        l1.install(key, fromL2, stamp);
        return fromL2;
      }
      staleL2 = fromL2;
    }
    metrics.l2Misses.increment();
    byte[] expected = Envelope.versionBytes(raw);
    L1Entry<V> staleFromL2 = staleL2;
    if (config.leaseMillis > 0) {
      return loadStep(key, flight, stale, staleFromL2,
          () -> lease.load(key, loader, stale, staleFromL2, stamp, rkey, t, expected, flight));
    }
    return loadStep(key, flight, stale, staleFromL2, () -> loadAndStore(key, loader, stale, staleFromL2,
        stamp, L2Write.ifUnchanged(rkey, expected), flight));
  }

  /** Calls the loader (counted, traced; stale-if-error on failure) and {@linkplain #store stores} its value. */
  L1Entry<V> loadAndStore(K key, Function<? super K, ? extends @Nullable V> loader,
      @Nullable L1Entry<V> stale, @Nullable L1Entry<V> staleL2, long stamp, L2Write intent,
      @Nullable Flight<V> flight) {
    intent = withLoaderTags(intent, loader);
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
    return store(key, value, stamp, intent, flight);
  }

  /**
   * The intent of a load through a {@link TaggedLoader}: its value carries the tags, and a load
   * that writes L2 files the key under them first (see {@link L2Writer}); when that filing fails
   * the load writes L1 only.
   */
  private L2Write withLoaderTags(L2Write intent, Function<? super K, ? extends @Nullable V> loader) {
    if (!(loader instanceof TaggedLoader<?, ?> tagged)) {
      return intent;
    }
    TagSet tags = tagged.tags();
    L2Writer w = writer;
    if (intent instanceof L2Write.IfUnchanged c && w != null) {
      return w.fileBeforeLoad(tags, c.rkey())
          ? new L2Write.IfUnchanged(c.rkey(), c.expectedVersion(), tags)
          : L2Write.skip(tags);
    }
    return intent instanceof L2Write.Skip ? L2Write.skip(tags) : intent;
  }

  /** What a failed load may serve instead: a holder still within its stale-if-error window. */
  @Nullable L1Entry<V> staleFallback(@Nullable L1Entry<V> stale, @Nullable L1Entry<V> staleL2) {
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
  private L1Entry<V> store(K key, @Nullable V value, long stamp, L2Write intent, @Nullable Flight<V> flight) {
    Prepared<V> p = prepare(key, value, L2Write.sendsValue(intent), L2Write.tags(intent));
    if (!p.cacheable()) {
      return p.entry();
    }
    boolean current = l1.install(key, p.entry(), stamp);
    if (flight != null) {
      flight.complete(p.entry());
    }
    L2Writer w = writer;
    if (w != null) {
      w.write(intent, p.envelope(), p.px(), current);
      if (flight != null && current && flight.released()) {
        // a caller stopped waiting for this load (load timeouts) and was served the old value: tell
        // the other instances, as a put does
        w.publishKeys(List.of(encoding.encodeKey(key)));
      }
    }
    return p.entry();
  }

  /**
   * A value made ready for both tiers: its L1 holder and, when it goes to L2, the envelope and
   * its PX. Not cacheable: a null value without negative caching, or a value over {@code
   * maxValueBytes} (returned to the caller, cached nowhere).
   */
  @SuppressWarnings("ArrayRecordComponent") // never compared or hashed: a return value only
  record Prepared<V>(L1Entry<V> entry, byte @Nullable [] envelope, long px, boolean cacheable) {}

  /**
   * TTLs (jittered; L1 never outlives L2), version and, {@code forL2}, envelope of one loaded or
   * put value.
   */
  Prepared<V> prepare(K key, @Nullable V value, boolean forL2) {
    return prepare(key, value, forL2, null);
  }

  /** As {@link #prepare(Object, Object, boolean)}, the value written with {@code tags} ({@code null}: none). */
  Prepared<V> prepare(K key, @Nullable V value, boolean forL2, @Nullable TagSet tags) {
    if (value == null && config.negativeTtlNanos == 0) {
      return new Prepared<>(l1.notCached, null, 0, false);
    }
    byte[] valueBytes = null;
    if (forL2 && value != null) {
      valueBytes = encoding.encodeValue(key, value);
      if (valueBytes.length > config.maxValueBytes) {
        metrics.oversized.increment();
        log.warn("cache {}: value is {} bytes, over maxValueBytes {}; not cached",
            name, valueBytes.length, config.maxValueBytes);
        return new Prepared<>(l1.newEntry(value, ticker.read(), 0, 0), null, 0, false);
      }
    }
    long now = ticker.read();
    long l1Nanos = l1.jitter(value == null ? config.negativeTtlNanos : config.l1TtlNanos);
    long l2Millis = value == null
        ? Math.max(1, TimeUnit.NANOSECONDS.toMillis(l1.jitter(config.negativeTtlNanos)))
        : Math.max(1, l1.jitter(config.l2TtlMillis));
    if (!forL2) {
      return new Prepared<>(l1.newEntry(value, now, l1Nanos, l1.nextVersion(), tags), null, 0, true);
    }
    l1Nanos = Math.min(l1Nanos, TimeUnit.MILLISECONDS.toNanos(l2Millis));
    L1Entry<V> entry = l1.newEntry(value, now, l1Nanos, l1.nextVersion(), tags);
    byte[] envelope = Envelope.encode(valueBytes, entry.version, entry.writeMillis, l2Millis, staleMillis, tags);
    return new Prepared<>(entry, envelope, l2Millis + staleMillis, true);
  }

  /** Whether Redis could not be asked: {@link RedisTier#READ_UNAVAILABLE} is a sentinel. */
  @SuppressWarnings("ReferenceEquality") // by value the sentinel equals Read.ABSENT; identity tells them apart
  static boolean unavailable(RedisTier.Read read) {
    return read == RedisTier.READ_UNAVAILABLE;
  }

  /**
   * An L1 holder from what an L2 read returned, {@code null} when it cannot be read. Its freshness
   * comes from the key's PTTL (Redis' clock); past it (only the stale window left) → freshUntil = now.
   */
  @Nullable L1Entry<V> fromEnvelope(RedisTier.Read read, long now) {
    byte[] raw = Objects.requireNonNull(read.value());
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
        value = encoding.decodeValue(env.valueBytes());
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
    long ttl = Math.min(l1.jitter(value == null ? config.negativeTtlNanos : config.l1TtlNanos), remainingNanos);
    if (ttl <= 0) {
      long physical = read.pttl() >= 0
          ? TimeUnit.MILLISECONDS.toNanos(read.pttl())
          : L1Tier.plus(Math.max(0, remainingNanos), config.staleNanos);
      return new L1Entry<>(value, env.version, env.writeMillis, now, now, L1Tier.plus(now, physical),
          env.tags);
    }
    long refreshAt = value != null && config.refreshAhead > 0
        ? L1Tier.plus(now, (long) (ttl * config.refreshAhead))
        : L1Tier.plus(now, ttl); // never after freshUntil: a hit compares only refreshAt
    return new L1Entry<>(value, env.version, env.writeMillis, refreshAt, L1Tier.plus(now, ttl),
        L1Tier.plus(L1Tier.plus(now, ttl), config.staleNanos), env.tags);
  }

  void refreshAhead(K key, Function<? super K, ? extends @Nullable V> loader, L1Entry<V> old) {
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
    long stamp = l1.stamp(key);
    L2Writer w = writer;
    if (w == null) {
      return loadAndStore(key, loader, old, null, stamp, L2Write.SKIP, flight);
    }
    byte[] rkey = encoding.redisKey(encoding.encodeKey(key));
    RedisTier.Read read = w.tier().get(rkey);
    flight.leaveLoader();
    if (unavailable(read)) {
      // L2's state is unknown: refresh L1 only
      return loadAndStore(key, loader, old, null, stamp, L2Write.SKIP, flight);
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
          l1.install(key, fromL2, stamp);
          return fromL2;
        }
      }
    }
    return loadAndStore(key, loader, old, null, stamp, L2Write.ifUnchanged(rkey, Envelope.versionBytes(raw)), flight);
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
    encoding.checkKey(key);
    L1Entry<V> e = l1.getIfPresent(key);
    if (e != null && (!timeChecks || ticker.read() < e.freshUntil)) {
      metrics.l1Hits.increment();
      return e;
    }
    metrics.l1Misses.increment();
    L2Writer w = writer;
    if (w == null) {
      return null;
    }
    long stamp = l1.stamp(key);
    RedisTier.Read read = w.tier().get(encoding.redisKey(encoding.encodeKey(key)));
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
    l1.install(key, fromL2, stamp);
    return fromL2;
  }

  @Override
  public Map<K, V> getAll(Collection<? extends K> keys,
      Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> bulkLoader) {
    return bulk.getAll(keys, bulkLoader, false);
  }

  // ------------------------------------------------------------------ writes

  @Override
  public void put(K key, V value) {
    put(key, value, (TagSet) null);
  }

  @Override
  public void put(K key, V value, Set<String> tags) {
    TagSet t = TagSet.of(tags);
    put(key, value, t);
  }

  private void put(K key, V value, @Nullable TagSet tags) {
    encoding.checkKey(key);
    requireNonNull(value, "value");
    if (writer == null) {
      writeOne(key, value, null, L2Write.skip(tags));
      return;
    }
    byte[] keyBytes = encoding.encodeKey(key);
    byte[] rkey = encoding.redisKey(keyBytes);
    encoding.checkSize(encoding.encodeValue(key, value).length);
    writeOne(key, value, keyBytes, L2Write.overwrite(rkey, tags));
  }

  /**
   * A put of {@code value}: L1 (failing loads in flight), L2 as {@code intent} says, then the other
   * instances ({@code keyBytes}: the encoded key; {@code null} only without L2).
   */
  void writeOne(K key, V value, byte @Nullable [] keyBytes, L2Write intent) {
    l1.bump(key);
    L1Entry<V> mine = store(key, value, l1.stamp(key), intent, null);
    l1.settleAfterPut(key, mine);
    L2Writer w = writer;
    if (w != null && keyBytes != null) {
      w.publishKeys(List.of(keyBytes));
    }
  }

  /**
   * {@link #writeOne} on a {@linkplain RedisTier#nonBlocking non-blocking} tier: L1 on the calling
   * thread (its maintenance off it), the SET sent from it, and what follows the write (repairs,
   * dropping loads that raced it, telling the other instances) on the client's I/O thread.
   */
  CompletableFuture<Void> writeOneAsync(K key, V value, byte[] keyBytes, byte[] rkey, L2Writer w) {
    l1.bump(key);
    Prepared<V> p = prepare(key, value, true);
    L1Entry<V> mine = p.entry();
    l1.install(key, mine, l1.stamp(key), false);
    return w.overwriteAsync(rkey, Objects.requireNonNull(p.envelope()), p.px()).thenRun(() -> {
      l1.settleAfterPut(key, mine);
      w.publishKeys(List.of(keyBytes));
    });
  }

  @Override
  public void putAll(Map<? extends K, ? extends V> values) {
    bulk.putAll(values);
  }

  @Override
  public void invalidate(K key) {
    encoding.checkKey(key);
    bulk.invalidateAll(List.of(key));
  }

  @Override
  public void invalidateAll(Collection<? extends K> keys) {
    bulk.invalidateAll(keys);
  }

  @Override
  public void invalidateAll() {
    l1.clear();
    L2Writer w = writer;
    if (w != null) {
      w.deleteByPrefix(config.keyPrefix);
      w.publishAll();
    }
  }

  @Override
  public void invalidateByTag(String tag) {
    String t = TagSet.check(tag);
    metrics.tagInvalidationsLocal.increment();
    metrics.tagEntriesL1.add(l1.invalidateTag(t));
    L2Writer w = writer;
    if (w != null) {
      // a tagged write of this instance that failed (or timed out and landed late) was never filed
      // under its tag: its repair tombstone goes first, so it does not outlive this invalidation
      w.repair();
      w.invalidateTag(t);
      w.repair(); // a tombstone of this invalidation that timed out: tried again before returning
      // a read of this instance between the first pass and the tombstones may have put back what
      // L2 still held: dropped again once L2 no longer holds it (as settleAfterInvalidation does)
      metrics.tagEntriesL1.add(l1.invalidateTag(t));
    }
  }

  /** Test hook: tag invalidations waiting for Redis. */
  int pendingTags() {
    L2Writer w = writer;
    return w == null ? 0 : w.pendingTags();
  }

  /**
   * Retries the tombstones of failed writes: on the invalidation publisher's tick (without
   * invalidation, on the executor when the shared repair timer finds some waiting) and around a tag
   * invalidation.
   */
  void repair() {
    L2Writer w = writer;
    if (w != null) {
      w.repair();
    }
  }

  /** Test hook: how many tasks the cache's executor was given so far (approximate while it runs). */
  long executorTasks() {
    return executor.getTaskCount();
  }

  /** Test hook: keys waiting for a repair. */
  int pendingRepairs() {
    return repairs.size();
  }

  @Override
  public void onTick() {
    repair();
  }

  /**
   * For a cache without invalidation, on the shared timer: hands the repairs to the executor when
   * some are waiting (a saturated executor: the next tick tries again). Never does I/O itself.
   */
  private void repairSoon() {
    L2Writer w = writer;
    if (w == null || (w.pendingRepairs() == 0 && w.pendingTags() == 0)) {
      return;
    }
    try {
      executor.execute(this::repair);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // busy or closing: the next tick tries again
    }
  }

  /**
   * One daemon thread for all caches built without invalidation, which have no publisher whose
   * tick runs their repairs: each such cache checks once per {@code invalidationHeartbeat} whether
   * repairs wait and, if so, hands them to its own executor. Made on first use.
   */
  private static final class RepairTicks {
    static final java.util.concurrent.ScheduledThreadPoolExecutor TIMER = timer();

    private static java.util.concurrent.ScheduledThreadPoolExecutor timer() {
      java.util.concurrent.ScheduledThreadPoolExecutor t = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
        Thread th = new Thread(r, "scaleblocks-cache-repairs");
        th.setDaemon(true);
        return th;
      });
      t.setRemoveOnCancelPolicy(true);
      return t;
    }
  }

  // ------------------------------------------------------------------ async

  @Override
  public CompletableFuture<@Nullable V> getAsync(K key, Function<? super K, ? extends @Nullable V> loader) {
    return async.get(key, loader);
  }

  @Override
  public CompletableFuture<@Nullable V> getAsync(K key, Function<? super K, ? extends @Nullable V> loader,
      LoadTimeouts timeouts) {
    return async.get(key, loader, requireNonNull(timeouts, "timeouts"));
  }

  @Override
  public CompletableFuture<@Nullable V> getAsyncLoading(K key,
      Function<? super K, ? extends CompletionStage<? extends @Nullable V>> loader) {
    return asyncLoads.get(key, loader, config.loadTimeouts);
  }

  @Override
  public CompletableFuture<@Nullable V> getAsyncLoading(K key,
      Function<? super K, ? extends CompletionStage<? extends @Nullable V>> loader, LoadTimeouts timeouts) {
    return asyncLoads.get(key, loader, requireNonNull(timeouts, "timeouts"));
  }

  /** The in-flight load of {@code key}, registering {@code mine} when there is none (then {@code null}). */
  @Nullable Flight<V> joinOrLead(K key, Flight<V> mine) {
    return inflight.putIfAbsent(key, mine);
  }

  /** Ends {@code flight}'s registration as the load of {@code key}. */
  void landed(K key, Flight<V> flight) {
    inflight.remove(key, flight);
  }

  /** Marks the load of {@code key} in flight, if any, as released (its result is then published). */
  void release(K key) {
    Flight<V> f = inflight.get(key);
    if (f != null) {
      f.release();
    }
  }

  @Override
  public CompletableFuture<@Nullable CacheEntry<V>> getEntryAsync(
      K key, Function<? super K, ? extends @Nullable V> loader) {
    return async.getEntry(key, loader);
  }

  @Override
  public CompletableFuture<@Nullable V> getIfPresentAsync(K key) {
    return async.getIfPresent(key);
  }

  @Override
  public CompletableFuture<Map<K, V>> getAllAsync(Collection<? extends K> keys,
      Function<? super Set<K>, ? extends Map<? extends K, ? extends V>> bulkLoader) {
    return async.getAll(keys, bulkLoader);
  }

  @Override
  public CompletableFuture<Void> putAsync(K key, V value) {
    return async.put(key, value);
  }

  @Override
  public CompletableFuture<Void> invalidateAsync(K key) {
    return async.invalidate(key);
  }

  // ------------------------------------------------------------------ invalidation

  @Override
  public void onRemoteKeys(List<byte[]> keys) {
    for (byte[] bytes : keys) {
      K key;
      try {
        key = encoding.decodeKey(bytes);
      } catch (RuntimeException e) {
        onClearAll("undecodable key in invalidation message", 0);
        return;
      }
      if (key == null) {
        onClearAll("undecodable key in invalidation message", 0);
        return;
      }
      l1.invalidate(key);
    }
  }

  @Override
  public void onRemoteTags(List<String> tags) {
    for (String tag : tags) {
      metrics.tagInvalidationsRemote.increment();
      metrics.tagEntriesL1.add(l1.invalidateTag(tag));
    }
  }

  @Override
  public void onClearAll(String reason, long lost) {
    l1.clear();
    metrics.l1Clears.increment();
    log.debug("cache {}: L1 cleared: {}", name, reason);
  }

  /** Test hook: what L1 holds for {@code key}, without touching L2, stats or deadlines. */
  @Nullable V peekL1(K key) {
    L1Entry<V> e = l1.peek(key);
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
    java.util.concurrent.ScheduledFuture<?> tick = repairTick;
    if (tick != null) {
      tick.cancel(false);
    }
    executor.shutdown();
    L2Writer w = writer;
    if (w != null) {
      w.tier().close();
    }
    CircuitBreaker own = ownBreaker;
    if (own != null) {
      own.close();
    }
    metrics.close();
  }

  @Override
  public String toString() {
    return "TieredCache[" + name + ", instance " + config.instanceId + (writer == null ? ", L1 only]" : "]");
  }
}
