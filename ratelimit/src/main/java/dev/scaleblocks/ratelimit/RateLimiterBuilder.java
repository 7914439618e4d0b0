package dev.scaleblocks.ratelimit;

import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requirePositive;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.redis.ScriptRunner;
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
 * Builds a {@link RateLimiter} for one {@link RateLimitPolicy}: pick a store ({@link #local()} or
 * {@link #redis(UnifiedJedis)}), optionally tune it, then {@link #build()}. Each option may be set
 * once and is checked at once; {@code build()} copies everything into the limiter, so a builder may
 * be reused.
 *
 * <table>
 *   <caption>options</caption>
 *   <tr><th>option</th><th>store</th><th>default</th></tr>
 *   <tr><td>{@link #maximumKeys(long)}</td><td>local, fallback, leases</td><td>100 000</td></tr>
 *   <tr><td>{@link #keyPrefix(String)}</td><td>redis</td><td>{@code scaleblocks:rl:<policy>:}</td></tr>
 *   <tr><td>{@link #storeTimeout(Duration)}</td><td>redis</td><td>100 ms</td></tr>
 *   <tr><td>{@link #failurePolicy(FailurePolicy)}</td><td>redis</td><td>FAIL_OPEN</td></tr>
 *   <tr><td>{@link #localFallback(int)}</td><td>redis</td><td>off</td></tr>
 *   <tr><td>{@link #leasing(long, Duration)}</td><td>redis</td><td>off</td></tr>
 *   <tr><td>{@link #storeThreads(int)} / {@link #storeQueueCapacity(int)}</td><td>redis</td>
 *       <td>8 / 1024</td></tr>
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
  private @Nullable UnifiedJedis jedis;
  private long maximumKeys = -1;
  private @Nullable String keyPrefix;
  private @Nullable Duration storeTimeout;
  private @Nullable FailurePolicy failurePolicy;
  private int fallbackInstances = 1;
  private long leasePermits;
  private @Nullable Duration leaseHold;
  private int storeThreads = -1;
  private int storeQueueCapacity = -1;
  private @Nullable CircuitBreaker breaker;
  private boolean shadow;
  private @Nullable Ticker ticker;
  private @Nullable Telemetry telemetry;
  // test hooks
  private @Nullable Ticker redisClock;
  private @Nullable Executor cacheExecutor;
  private Sleeper sleeper = Sleeper.SYSTEM;

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
   * Keeps per-key state in Redis (standalone {@code RedisClient}/{@code JedisPooled} or Cluster
   * {@code RedisClusterClient}/{@code JedisCluster}); every instance sharing the Redis and the key
   * prefix shares the limit. Give the client a socket timeout close to {@link #storeTimeout}.
   */
  public RateLimiterBuilder redis(UnifiedJedis jedis) {
    requireUnset(kind != null, "store", kind);
    this.jedis = requireNonNull(jedis, "jedis");
    kind = StoreKind.REDIS;
    return this;
  }

  /** Most keys held in memory (local state, fallback state, leases); 100 000 by default. */
  public RateLimiterBuilder maximumKeys(long maximumKeys) {
    requireUnset(this.maximumKeys >= 0, "maximumKeys", this.maximumKeys);
    this.maximumKeys = requirePositive(maximumKeys, "maximumKeys");
    return this;
  }

  /** Prefix of the Redis keys; {@code scaleblocks:rl:<policy name>:} by default. */
  public RateLimiterBuilder keyPrefix(String keyPrefix) {
    requireUnset(this.keyPrefix != null, "keyPrefix", this.keyPrefix);
    this.keyPrefix = requireNonEmpty(keyPrefix, "keyPrefix");
    return this;
  }

  /** Longest a caller waits for Redis before the failure policy decides; 100 ms by default. */
  public RateLimiterBuilder storeTimeout(Duration timeout) {
    requireUnset(storeTimeout != null, "storeTimeout", storeTimeout);
    this.storeTimeout = dev.scaleblocks.core.internal.Checks.requirePositive(timeout, "storeTimeout");
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
    this.fallbackInstances = requirePositive(instances, "instances");
    return this;
  }

  /**
   * Leasing: a miss takes up to {@code permits} from Redis in its one script call and serves the
   * surplus from memory for at most {@code maxHold}, cutting round trips about {@code permits}×.
   * Over any interval, admissions exceed the policy's allowance by at most {@code instances ×
   * permits} (see the docs); leftovers of an expired lease are lost, so it also under-admits a
   * little. Off by default.
   */
  public RateLimiterBuilder leasing(long permits, Duration maxHold) {
    requireUnset(leasePermits > 0, "leasing", leasePermits);
    this.leasePermits = requirePositive(permits, "permits");
    this.leaseHold = dev.scaleblocks.core.internal.Checks.requirePositive(maxHold, "maxHold");
    return this;
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

  /** Threads that talk to Redis for this limiter; 8 by default. */
  public RateLimiterBuilder storeThreads(int threads) {
    requireUnset(storeThreads > 0, "storeThreads", storeThreads);
    this.storeThreads = requirePositive(threads, "storeThreads");
    return this;
  }

  /** Store calls that may wait for a thread; beyond it the failure policy decides. 1024 by default. */
  public RateLimiterBuilder storeQueueCapacity(int capacity) {
    requireUnset(storeQueueCapacity > 0, "storeQueueCapacity", storeQueueCapacity);
    this.storeQueueCapacity = requirePositive(capacity, "storeQueueCapacity");
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
   * Builds the limiter.
   *
   * @throws IllegalStateException when no store was chosen, or a Redis-only option was set for a
   *     local store
   * @throws IllegalArgumentException when a limit cannot be computed exactly (see {@link Limit})
   */
  public RateLimiter build() {
    if (kind == null) {
      throw new IllegalStateException("choose a store: local() or redis(jedis)");
    }
    Algorithm algorithm = policy.algorithm();
    LimitSpec[] limits = specs(policy.limits(), algorithm);
    Ticker t = ticker != null ? ticker : Ticker.system();
    Telemetry tel = telemetry != null ? telemetry : Telemetry.none();
    long keys = maximumKeys > 0 ? maximumKeys : 100_000;
    Decider decider;
    if (kind == StoreKind.LOCAL) {
      if (jedis != null || keyPrefix != null || storeTimeout != null || failurePolicy != null
          || leasePermits > 0 || storeThreads > 0 || storeQueueCapacity > 0 || breaker != null) {
        throw new IllegalStateException(
            "keyPrefix, storeTimeout, failurePolicy, leasing, storeThreads, storeQueueCapacity and "
                + "circuitBreaker apply to the redis store only");
      }
      Store local = LocalStores.create(algorithm, limits, keys, t, cacheExecutor);
      gaugeKeys(tel, local, "local");
      decider = Decider.local(local);
    } else {
      Duration timeout = storeTimeout != null ? storeTimeout : Duration.ofMillis(100);
      String prefix = keyPrefix != null ? keyPrefix : "scaleblocks:rl:" + policy.name() + ":";
      UnifiedJedis client = requireNonNull(jedis, "jedis");
      Store redis = new RedisStore(new ScriptRunner(client), prefix, algorithm, limits, redisClock);
      FailurePolicy fp = failurePolicy != null ? failurePolicy : FailurePolicy.FAIL_OPEN;
      Store fallback = null;
      long fallbackCapacity = 0;
      if (fp == FailurePolicy.LOCAL_FALLBACK) {
        LimitSpec[] shares = specs(shares(policy.limits(), fallbackInstances), algorithm);
        fallback = LocalStores.create(algorithm, shares, keys, t, cacheExecutor);
        fallbackCapacity = capacity(shares);
        gaugeKeys(tel, fallback, "fallback");
      }
      CircuitBreaker cb = breaker != null ? breaker
          : CircuitBreaker.builder("ratelimit-" + policy.name())
              .slowCallDuration(timeout)
              .ticker(t)
              .telemetry(tel)
              .build();
      int threads = storeThreads > 0 ? storeThreads : 8;
      int queue = storeQueueCapacity > 0 ? storeQueueCapacity : 1024;
      ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
          new ArrayBlockingQueue<>(queue), daemonThreads("scaleblocks-ratelimit-" + policy.name()),
          new ThreadPoolExecutor.AbortPolicy());
      executor.allowCoreThreadTimeOut(true);
      Duration hold = leaseHold != null ? leaseHold : Duration.ofSeconds(1);
      decider = new RemoteDecider(policy.name(), redis, fallback, fallbackCapacity, limits, fp, cb,
          executor, timeout, t, leasePermits, hold, algorithm == Algorithm.FIXED_WINDOW, keys,
          tel.meterRegistry());
    }
    return new DefaultRateLimiter(policy, limits, decider, shadow, t, sleeper, tel.meterRegistry());
  }

  private void gaugeKeys(Telemetry tel, Store store, String kind) {
    Gauge.builder("scaleblocks.ratelimit.keys", store, Store::keys)
        .tag("policy", policy.name())
        .tag("store", kind)
        .description("keys whose state is held in memory")
        .register(tel.meterRegistry());
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
