package dev.scaleblocks.ratelimit;

import static dev.scaleblocks.core.internal.Checks.requireInRange;
import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requirePositive;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import com.github.benmanes.caffeine.cache.Cache;
import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.internal.OwnedMeters;
import dev.scaleblocks.core.internal.redis.CoalescingJedisBackend;
import dev.scaleblocks.core.internal.redis.RedisBackend;
import dev.scaleblocks.core.internal.redis.RedisBackends;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.UnifiedJedis;

/**
 * Builds a {@link RateLimiter} for one {@link RateLimitPolicy}: pick a store ({@link #local()},
 * {@link #redis(UnifiedJedis)} for Jedis, or {@link #lettuce(io.lettuce.core.RedisClient)} /
 * {@link #lettuce(io.lettuce.core.cluster.RedisClusterClient)} for Lettuce), optionally tune it,
 * then {@link #build()}. Each option may be set
 * once and is checked at once; {@code build()} copies everything into the limiter, so a builder may
 * be reused (but not to open two limiters of one name on one meter registry: see {@link #build()}).
 *
 * <table>
 *   <caption>options</caption>
 *   <tr><th>option</th><th>store</th><th>default</th></tr>
 *   <tr><td>{@link #maximumKeys(long)}</td><td>local, fallback, leases</td><td>100 000</td></tr>
 *   <tr><td>{@link #keyPrefix(String)}</td><td>redis</td><td>{@code scaleblocks:rl:<policy>:}</td></tr>
 *   <tr><td>{@link #storeTimeout(Duration)}</td><td>redis</td><td>100 ms</td></tr>
 *   <tr><td>{@link #failurePolicy(FailurePolicy)}</td><td>redis</td><td>FAIL_OPEN</td></tr>
 *   <tr><td>{@link #localFallback(int)}</td><td>redis</td><td>off</td></tr>
 *   <tr><td>{@link #instances(int)}</td><td>redis: the local share</td><td>1</td></tr>
 *   <tr><td>{@link #maxKeyLength(int)}</td><td>any</td><td>1024</td></tr>
 *   <tr><td>{@link #leasing(long, Duration)}</td><td>redis</td><td>off</td></tr>
 *   <tr><td>{@link #storeThreads(int)} / {@link #storeQueueCapacity(int)}</td><td>redis</td>
 *       <td>8 / 1024</td></tr>
 *   <tr><td>{@link #coalesceRedisCalls()}</td><td>redis over Jedis</td><td>off</td></tr>
 *   <tr><td>{@link #circuitBreaker(CircuitBreaker)}</td><td>redis</td>
 *       <td>core's defaults, slow calls at the store timeout</td></tr>
 *   <tr><td>{@link #shadowMode()}</td><td>any</td><td>off</td></tr>
 *   <tr><td>{@link #ticker(Ticker)} / {@link #telemetry(Telemetry)}</td><td>any</td>
 *       <td>system / none</td></tr>
 * </table>
 *
 * <p>Not thread-safe.
 */
public final class RateLimiterBuilder {

  private enum StoreKind { LOCAL, REDIS }

  private final RateLimitPolicy policy;
  private @Nullable StoreKind kind;
  /** A Jedis {@code UnifiedJedis} or a Lettuce client, turned into a backend by build(). */
  private @Nullable Object redisClient;
  private long maximumKeys = -1;
  private @Nullable String keyPrefix;
  private @Nullable Duration storeTimeout;
  private @Nullable FailurePolicy failurePolicy;
  private int instances = -1;
  private int maxKeyLength = -1;
  private long leasePermits;
  private @Nullable Duration leaseHold;
  private int storeThreads = -1;
  private int storeQueueCapacity = -1;
  private boolean coalesce;
  private @Nullable CircuitBreaker breaker;
  private boolean shadow;
  private @Nullable Ticker ticker;
  private @Nullable Telemetry telemetry;
  // test hooks
  private @Nullable Ticker redisClock;
  private @Nullable Executor cacheExecutor;
  private Sleeper sleeper = Sleeper.SYSTEM;
  // set by TenantPolicies: the key space its plans share
  private @Nullable String sharedPrefix;
  private java.util.function.@Nullable Function<Long, Cache<String, LocalCounterStore.Cell>> sharedCells;

  RateLimiterBuilder(RateLimitPolicy policy) {
    this.policy = requireNonNull(policy, "policy");
  }

  /** Keeps per-key state in this JVM's memory, in a bounded map; decisions cost no I/O. */
  public RateLimiterBuilder local() {
    requireUnset(kind != null, "store", kind);
    kind = StoreKind.LOCAL;
    return this;
  }

  /**
   * Keeps per-key state in Redis (standalone {@code RedisClient}/{@code JedisPooled}, Sentinel
   * {@code RedisSentinelClient} or Cluster {@code RedisClusterClient}/{@code JedisCluster}); every
   * instance sharing the Redis and the key prefix shares the limit. Give the client a socket
   * timeout close to {@link #storeTimeout}. Redis replicates asynchronously, so a failover may lose
   * the last counts the old master took: see the failure section of the docs for what that costs.
   */
  public RateLimiterBuilder redis(UnifiedJedis jedis) {
    requireUnset(kind != null, "store", kind);
    this.redisClient = requireNonNull(jedis, "jedis");
    kind = StoreKind.REDIS;
    return this;
  }

  /**
   * Keeps per-key state in a standalone Redis through Lettuce (an optional dependency: needed only
   * by callers of this method). {@link #build()} opens one connection on {@code client}, shared by
   * every call (Lettuce multiplexes them); if Redis cannot be reached then, the limiter is built
   * all the same, its decisions go to the failure policy, and the connection is tried again at
   * most once a second while decisions come. The connection is closed with the client's {@code
   * shutdown()}. Decisions do not block a thread
   * while Redis answers: {@link RateLimiter#tryAcquireAsync} sends the script from the caller's
   * thread and completes on Lettuce's I/O thread, with no store thread in between (except for
   * lease refills, see {@link #leasing(long, Duration)}). Give the client a command timeout at or
   * above {@link #storeTimeout}: the store timeout decides, the client's only frees the call.
   *
   * <p>Named apart from {@code redis(...)} on purpose: an overload with a Lettuce parameter would
   * make every {@code redis(jedis)} call need Lettuce on the compile class path.
   */
  public RateLimiterBuilder lettuce(io.lettuce.core.RedisClient client) {
    requireUnset(kind != null, "store", kind);
    this.redisClient = requireNonNull(client, "client");
    kind = StoreKind.REDIS;
    return this;
  }

  /**
   * As {@link #lettuce(io.lettuce.core.RedisClient)}, on a Redis Cluster: one Cluster connection,
   * routing each decision to its key's node.
   */
  public RateLimiterBuilder lettuce(io.lettuce.core.cluster.RedisClusterClient client) {
    requireUnset(kind != null, "store", kind);
    this.redisClient = requireNonNull(client, "client");
    kind = StoreKind.REDIS;
    return this;
  }

  /** Most keys held in memory (local state, fallback state, leases); 100 000 by default. */
  public RateLimiterBuilder maximumKeys(long maximumKeys) {
    requireUnset(this.maximumKeys >= 0, "maximumKeys", this.maximumKeys);
    this.maximumKeys = requirePositive(maximumKeys, "maximumKeys");
    return this;
  }

  /** Prefix of the Redis keys, at most 1024 characters; {@code scaleblocks:rl:<policy name>:} by default. */
  public RateLimiterBuilder keyPrefix(String keyPrefix) {
    requireUnset(this.keyPrefix != null, "keyPrefix", this.keyPrefix);
    requireNonEmpty(keyPrefix, "keyPrefix");
    if (keyPrefix.length() > 1024) {
      throw new IllegalArgumentException(
          "keyPrefix length must be at most 1024 but was " + keyPrefix.length());
    }
    this.keyPrefix = keyPrefix;
    return this;
  }

  /** Longest key, in characters, that a decision accepts. */
  static final int MAX_KEY_LENGTH_LIMIT = 1_048_576;

  /** Longest store timeout accepted. */
  static final Duration MAX_STORE_TIMEOUT = Duration.ofMinutes(1);

  /** Longest lease hold accepted. */
  static final Duration MAX_LEASE_HOLD = Duration.ofHours(1);

  /** A lease may hold at most this fraction (1 / n) of the smallest limit's capacity. */
  static final long LEASE_FRACTION = 10;

  /**
   * Longest key, in characters, that a decision accepts; 1024 by default, at most 1 048 576. A
   * longer key is refused with {@link IllegalArgumentException} before any state is touched or
   * Redis is called (a key is held in memory and, with Redis, stored there).
   */
  public RateLimiterBuilder maxKeyLength(int maxKeyLength) {
    requireUnset(this.maxKeyLength > 0, "maxKeyLength", this.maxKeyLength);
    this.maxKeyLength =
        (int) requireInRange(maxKeyLength, 1, MAX_KEY_LENGTH_LIMIT, "maxKeyLength");
    return this;
  }

  /**
   * Longest a caller waits for Redis once its call has reached Redis, before the failure policy
   * decides; 100 ms by default, from 1 ms to 1 minute. A call that cannot even get a store thread
   * within this time is decided by the local share instead (see {@link #instances(int)}).
   */
  public RateLimiterBuilder storeTimeout(Duration timeout) {
    requireUnset(storeTimeout != null, "storeTimeout", storeTimeout);
    dev.scaleblocks.core.internal.Checks.requirePositive(timeout, "storeTimeout");
    this.storeTimeout =
        requireInRange(timeout, Duration.ofMillis(1), MAX_STORE_TIMEOUT, "storeTimeout");
    return this;
  }

  /** What to decide when Redis does not answer; {@link FailurePolicy#FAIL_OPEN} by default. */
  public RateLimiterBuilder failurePolicy(FailurePolicy failurePolicy) {
    requireUnset(this.failurePolicy != null, "failurePolicy", this.failurePolicy);
    this.failurePolicy = requireNonNull(failurePolicy, "failurePolicy");
    return this;
  }

  /**
   * {@link FailurePolicy#LOCAL_FALLBACK} with each of {@code instances} instances allowed
   * {@code quota / instances} (at least 1) and {@code burst / instances} while Redis is away.
   */
  public RateLimiterBuilder localFallback(int instances) {
    failurePolicy(FailurePolicy.LOCAL_FALLBACK);
    return instances(instances);
  }

  /**
   * How many instances share this limit (an estimate); 1 by default. Each instance's <em>local
   * share</em> is {@code quota / instances} (at least 1) and {@code burst / instances}, decided in
   * memory. It decides what Redis cannot: with {@link FailurePolicy#LOCAL_FALLBACK}, everything
   * while Redis is away; with any policy but {@link FailurePolicy#FAIL_CLOSED}, the requests this
   * client is too busy to send to Redis within the store timeout. So on top of the policy's
   * allowance, one instance admits at most its local share.
   */
  public RateLimiterBuilder instances(int instances) {
    requireUnset(this.instances > 0, "instances", this.instances);
    this.instances = requirePositive(instances, "instances");
    return this;
  }

  /**
   * Leasing: a miss takes up to {@code permits} from Redis in its one script call and serves the
   * surplus from memory for at most {@code maxHold}, cutting round trips about {@code permits}×.
   * Over any interval, admissions exceed the policy's allowance by at most {@code instances ×
   * permits} (see the docs); leftovers of an expired lease are lost, so it also under-admits a
   * little. Off by default. {@code permits} may be at most a tenth of the policy's smallest
   * capacity (at least 1), so that no instance can lease the whole bucket; {@code maxHold} at
   * most one hour. A refill takes a per-key lock and runs on a store thread, with Lettuce too.
   */
  public RateLimiterBuilder leasing(long permits, Duration maxHold) {
    requireUnset(leasePermits > 0, "leasing", leasePermits);
    requirePositive(permits, "permits");
    long smallest = smallestCapacity(policy);
    long most = Math.max(1, smallest / LEASE_FRACTION);
    if (permits > most) {
      throw new IllegalArgumentException("permits must be at most " + most + " (a tenth of the "
          + "smallest limit's capacity " + smallest + ") but was " + permits);
    }
    dev.scaleblocks.core.internal.Checks.requirePositive(maxHold, "maxHold");
    this.leaseHold = requireInRange(maxHold, Duration.ofMillis(1), MAX_LEASE_HOLD, "maxHold");
    this.leasePermits = permits;
    return this;
  }

  private static long smallestCapacity(RateLimitPolicy policy) {
    boolean windows = policy.algorithm() == Algorithm.FIXED_WINDOW
        || policy.algorithm() == Algorithm.SLIDING_WINDOW;
    long c = Long.MAX_VALUE;
    for (Limit l : policy.limits()) {
      c = Math.min(c, windows ? l.quota() : l.quota() + l.burst());
    }
    return c;
  }

  /** Leasing of {@code permits} held at most one second (or the shortest period if shorter). */
  public RateLimiterBuilder leasing(long permits) {
    Duration hold = Duration.ofSeconds(1);
    for (Limit l : policy.limits()) {
      if (l.period().compareTo(hold) < 0) {
        hold = l.period();
      }
    }
    return leasing(permits, hold);
  }

  /**
   * Threads that talk to Redis for this limiter; 8 by default, at most 1024. Keep it at or below
   * the client's connection pool size: time spent waiting for a pooled connection counts as time
   * in Redis. With Lettuce they run lease refills only (decisions are sent from the caller).
   */
  public RateLimiterBuilder storeThreads(int threads) {
    requireUnset(storeThreads > 0, "storeThreads", storeThreads);
    requirePositive(threads, "storeThreads");
    this.storeThreads = (int) requireInRange(threads, 1, 1024, "storeThreads");
    return this;
  }

  /**
   * Store calls that may wait for a thread; 1024 by default, at most 65 536. Beyond it a call is
   * decided at once: by the local share when Redis is fine (this client is busy), by the failure
   * policy when store threads are stuck on Redis. With Lettuce (no store threads) it bounds the
   * calls sent and not yet answered, the same way.
   */
  public RateLimiterBuilder storeQueueCapacity(int capacity) {
    requireUnset(storeQueueCapacity > 0, "storeQueueCapacity", storeQueueCapacity);
    requirePositive(capacity, "storeQueueCapacity");
    this.storeQueueCapacity = (int) requireInRange(capacity, 1, 65_536, "storeQueueCapacity");
    return this;
  }

  /**
   * With a Jedis client, writes the decisions of all threads deciding at once to each Redis node
   * as one pipeline, on a connection of the limiter's own per node, instead of one pooled
   * connection and one round trip per decision; off by default. Worth it when many threads decide
   * at once: each decision then costs a share of a round trip, and no store thread (decisions are
   * sent from the caller's thread, as with Lettuce; {@link #storeThreads} then run lease refills
   * only). With one caller at a time it adds a hand-off to the node's flusher thread.
   *
   * <p>Cost: one extra connection and one daemon flusher thread per Redis node in use (both
   * released after 10 s without decisions and by {@link RateLimiter#close()}), a queue insertion
   * and a future per decision. At most {@link #storeQueueCapacity} decisions wait per node; past
   * that a decision is refused at once, never sent, and decided by the local share as this client
   * being busy (not as a Redis failure: the breaker does not hear of it). Exactly once: a decision
   * is sent once, unless Redis refused it unrun ({@code NOSCRIPT}, {@code MOVED}, {@code ASK}),
   * and a connection failure fails the decisions on the wire without sending them again. Needs a
   * {@code RedisClient} or {@code RedisClusterClient} ({@link #build()} refuses a Sentinel client);
   * does nothing with Lettuce, which multiplexes calls over one connection already. The limiter
   * remains thread-safe; its decisions complete on the flusher thread.
   */
  public RateLimiterBuilder coalesceRedisCalls() {
    requireUnset(coalesce, "coalesceRedisCalls");
    this.coalesce = true;
    return this;
  }

  /** The breaker guarding Redis calls (may be shared with other users of the same Redis). */
  public RateLimiterBuilder circuitBreaker(CircuitBreaker breaker) {
    requireUnset(this.breaker != null, "circuitBreaker", this.breaker);
    this.breaker = requireNonNull(breaker, "circuitBreaker");
    return this;
  }

  /** Shadow (dry-run) mode: decide and count as usual, but admit everything. */
  public RateLimiterBuilder shadowMode() {
    this.shadow = true;
    return this;
  }

  /** The time source of local state, leases and the breaker; the system ticker by default. */
  public RateLimiterBuilder ticker(Ticker ticker) {
    requireUnset(this.ticker != null, "ticker", this.ticker);
    this.ticker = requireNonNull(ticker, "ticker");
    return this;
  }

  /** Where metrics go; nowhere by default. */
  public RateLimiterBuilder telemetry(Telemetry telemetry) {
    requireUnset(this.telemetry != null, "telemetry", this.telemetry);
    this.telemetry = requireNonNull(telemetry, "telemetry");
    return this;
  }

  /** Test hook: Redis scripts use this clock instead of Redis TIME. */
  RateLimiterBuilder redisClock(Ticker clock) {
    this.redisClock = requireNonNull(clock, "clock");
    return this;
  }

  /** Test hook: Caffeine maintenance on this executor (e.g. {@code Runnable::run}). */
  RateLimiterBuilder cacheExecutor(Executor executor) {
    this.cacheExecutor = requireNonNull(executor, "executor");
    return this;
  }

  /** Test hook: how {@link RateLimiter#acquire} waits. */
  RateLimiterBuilder sleeper(Sleeper sleeper) {
    this.sleeper = requireNonNull(sleeper, "sleeper");
    return this;
  }

  /**
   * For {@link TenantPolicies}: the plans' limiters share one key space, the Redis prefix {@code
   * prefix} (unless {@link #keyPrefix} was set) or, for a local store, the per-key map that {@code
   * cells} gives for the limiter's {@code maximumKeys}; meters go to {@code plansTelemetry}
   * unless {@link #telemetry} was set.
   */
  RateLimiterBuilder sharedKeySpace(String prefix,
      java.util.function.Function<Long, Cache<String, LocalCounterStore.Cell>> cells,
      Telemetry plansTelemetry) {
    this.sharedPrefix = prefix;
    this.sharedCells = cells;
    if (telemetry == null) {
      telemetry = plansTelemetry;
    }
    return this;
  }

  /** The policy this builder builds for. */
  RateLimitPolicy policy() {
    return policy;
  }

  static long capacity(LimitSpec[] limits) {
    long c = Long.MAX_VALUE;
    for (LimitSpec l : limits) {
      c = Math.min(c, l.capacity());
    }
    return c;
  }

  static LimitSpec[] specs(List<Limit> limits, Algorithm algorithm) {
    LimitSpec[] specs = new LimitSpec[limits.size()];
    for (int i = 0; i < specs.length; i++) {
      specs[i] = LimitSpec.of(limits.get(i), algorithm);
    }
    return specs;
  }

  /**
   * Builds the limiter and registers its meters (removed again by {@link RateLimiter#close()}).
   *
   * @throws IllegalStateException when no store was chosen, a Redis-only option was set for a
   *     local store, or a limiter of the same policy name is open on the same meter registry
   * @throws IllegalArgumentException when a limit cannot be computed exactly (see {@link Limit})
   */
  public RateLimiter build() {
    if (kind == null) {
      throw new IllegalStateException("choose a store: local(), redis(jedis) or lettuce(client)");
    }
    if (kind == StoreKind.LOCAL && (redisClient != null || keyPrefix != null || storeTimeout != null
        || failurePolicy != null || instances > 0 || leasePermits > 0 || storeThreads > 0
        || storeQueueCapacity > 0 || coalesce || breaker != null)) {
      throw new IllegalStateException(
          "keyPrefix, storeTimeout, failurePolicy, instances, leasing, storeThreads, "
              + "storeQueueCapacity, coalesceRedisCalls and circuitBreaker apply to the redis "
              + "store only");
    }
    Algorithm algorithm = policy.algorithm();
    LimitSpec[] limits = specs(policy.limits(), algorithm);
    Ticker t = ticker != null ? ticker : Ticker.system();
    Telemetry tel = telemetry != null ? telemetry : Telemetry.none();
    long keys = maximumKeys > 0 ? maximumKeys : 100_000;
    int keyLength = maxKeyLength > 0 ? maxKeyLength : 1024;
    OwnedMeters meters = OwnedMeters.claim(tel.meterRegistry(), "rate limiter", policy.name());
    try {
      Decider decider;
      Runnable onClose = () -> { };
      Runnable releaseMeters = meters::close;
      if (kind == StoreKind.LOCAL) {
        var cells = sharedCells;
        LocalCounterStore local = cells != null
            ? LocalCounterStore.over(cells.apply(keys), algorithm, limits, t)
            : LocalCounterStore.create(algorithm, limits, keys, t, cacheExecutor);
        gaugeKeys(meters, local, "local");
        decider = Decider.local(local);
      } else {
        Object client = requireNonNull(redisClient, "redisClient");
        int queue = storeQueueCapacity > 0 ? storeQueueCapacity : 1024;
        RedisBackend backend = coalesce && client instanceof UnifiedJedis jedis
            ? CoalescingJedisBackend.of(jedis, queue)
            : RedisBackends.of(client);
        if (backend instanceof CoalescingJedisBackend) {
          onClose = backend::disconnect;
        }
        CircuitBreaker cb = breaker;
        Duration timeout = storeTimeout != null ? storeTimeout : Duration.ofMillis(100);
        if (cb == null) {
          cb = CircuitBreaker.builder("ratelimit-" + policy.name())
              .slowCallDuration(timeout)
              .ticker(t)
              .telemetry(tel)
              .build();
          CircuitBreaker own = cb; // its close removes its meters: released with the limiter's
          releaseMeters = () -> {
            meters.close();
            own.close();
          };
        }
        decider = remote(backend, algorithm, limits, keys, timeout, cb, t, meters);
      }
      DecisionRecorder recorder = new DecisionRecorder(policy.name(), limits, shadow, meters);
      return new DefaultRateLimiter(policy, limits, decider, recorder, shadow, t, sleeper,
          keyLength, releaseMeters, onClose);
    } catch (RuntimeException | Error e) {
      meters.close();
      throw e;
    }
  }

  /**
   * The remote path, piece by piece: the Redis store (one script call) → leasing (when on) → the
   * guard (store threads or the non-blocking path, timeout, breaker) → the failure policy and the
   * local share.
   */
  private Decider remote(RedisBackend backend, Algorithm algorithm, LimitSpec[] limits, long keys,
      Duration timeout, CircuitBreaker cb, Ticker t, OwnedMeters meters) {
    String prefix = keyPrefix != null ? keyPrefix
        : sharedPrefix != null ? sharedPrefix : "scaleblocks:rl:" + policy.name() + ":";
    CounterStore store = new RedisCounterStore(backend, prefix, algorithm, limits, redisClock);
    if (leasePermits > 1) {
      Counter leaseHits = sourceCounter(meters, "lease");
      Duration hold = leaseHold != null ? leaseHold : Duration.ofSeconds(1);
      store = new LeasingStore(store, leasePermits, hold, algorithm == Algorithm.FIXED_WINDOW,
          timeout, keys, t, leaseHits);
    } else {
      sourceCounter(meters, "lease"); // reported as 0 without leasing
    }
    int threads = storeThreads > 0 ? storeThreads : 8;
    int queue = storeQueueCapacity > 0 ? storeQueueCapacity : 1024;
    ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(queue), daemonThreads("scaleblocks-ratelimit-" + policy.name()),
        new ThreadPoolExecutor.AbortPolicy());
    executor.allowCoreThreadTimeOut(true);
    GuardedStore guarded = new GuardedStore(store, executor, cb, timeout, queue,
        sourceCounter(meters, "store"));
    LimitSpec[] shares =
        specs(shares(policy.limits(), instances > 0 ? instances : 1), algorithm);
    LocalCounterStore share = LocalCounterStore.create(algorithm, shares, keys, t, cacheExecutor);
    gaugeKeys(meters, share, "fallback");
    FailurePolicy fp = failurePolicy != null ? failurePolicy : FailurePolicy.FAIL_OPEN;
    return new FallbackDecider(policy.name(), guarded, share, capacity(shares), limits, fp, t,
        meters);
  }

  /** Decisions served from a local lease ({@code lease}) or by a call to Redis ({@code store}). */
  private Counter sourceCounter(OwnedMeters meters, String source) {
    return meters.add(Counter.builder("scaleblocks.ratelimit.decisions.source")
        .tag("policy", policy.name()).tag("source", source)
        .description("decisions served from a local lease or by a store call")
        .register(meters.registry()));
  }

  private void gaugeKeys(OwnedMeters meters, CounterStore store, String kind) {
    meters.add(Gauge.builder("scaleblocks.ratelimit.keys", store, CounterStore::keys)
        .tag("policy", policy.name())
        .tag("store", kind)
        .description("keys whose state is held in memory")
        .register(meters.registry()));
  }

  private static List<Limit> shares(List<Limit> limits, int instances) {
    return limits.stream()
        .map(l -> Limit.of(Math.max(1, l.quota() / instances), l.period())
            .withBurst(l.burst() / instances))
        .toList();
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread thread = new Thread(r, name + "-" + n.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
