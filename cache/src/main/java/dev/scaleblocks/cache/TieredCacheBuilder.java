package dev.scaleblocks.cache;

import static dev.scaleblocks.core.internal.Checks.requireInRange;
import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNegative;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requirePositive;
import static dev.scaleblocks.core.internal.Checks.requireState;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.internal.redis.CoalescingJedisBackend;
import java.time.Duration;
import java.util.UUID;
import java.util.function.ToIntBiFunction;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.UnifiedJedis;

/**
 * Builds a {@link TieredCache}. Every option is checked when set; {@link #build()} copies the
 * options into an immutable configuration, so a builder may be reused.
 *
 * <table>
 *   <caption>options and defaults</caption>
 *   <tr><th>option</th><th>default</th></tr>
 *   <tr><td>{@link #name}</td><td>required</td></tr>
 *   <tr><td>{@link #maximumSize} / {@link #maximumWeight} + {@link #weigher}</td><td>10 000 entries</td></tr>
 *   <tr><td>{@link #l1Ttl}</td><td>1 minute</td></tr>
 *   <tr><td>{@link #l2Ttl}</td><td>1 hour</td></tr>
 *   <tr><td>{@link #ttlJitter}</td><td>0.1 (up to 10% shorter, per entry)</td></tr>
 *   <tr><td>{@link #negativeTtl}</td><td>30 seconds; zero caches nothing for absent values</td></tr>
 *   <tr><td>{@link #refreshAhead}</td><td>off</td></tr>
 *   <tr><td>{@link #staleIfError}</td><td>off</td></tr>
 *   <tr><td>{@link #loadSoftTimeout}, {@link #loadHardTimeout}</td><td>none: wait for the loader</td></tr>
 *   <tr><td>{@link #redis} (Jedis) or {@link #lettuce(io.lettuce.core.RedisClient)}</td><td>none: L1 only</td></tr>
 *   <tr><td>{@link #coalesceRedisCalls}</td><td>off (Jedis only)</td></tr>
 *   <tr><td>{@link #keyCodec}, {@link #valueCodec}</td><td>required with Redis</td></tr>
 *   <tr><td>{@link #keyPrefix}</td><td>{@code "<name>:"}</td></tr>
 *   <tr><td>{@link #maxValueBytes}</td><td>1 MiB (encoded)</td></tr>
 *   <tr><td>{@link #maxKeyLength}</td><td>1024 (characters of a String key; encoded bytes)</td></tr>
 *   <tr><td>{@link #l2Timeout}</td><td>500 ms</td></tr>
 *   <tr><td>{@link #clusterLease}</td><td>off</td></tr>
 *   <tr><td>{@link #invalidationHeartbeat}</td><td>1 second</td></tr>
 *   <tr><td>{@link #asyncThreads}</td><td>4 threads, 1024 queued tasks</td></tr>
 *   <tr><td>{@link #circuitBreaker}</td><td>core defaults, named {@code cache.<name>}</td></tr>
 * </table>
 *
 * <p>Not thread-safe.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class TieredCacheBuilder<K, V> {

  @Nullable String name;
  long maximumSize = -1;
  long maximumWeight = -1;
  @Nullable ToIntBiFunction<Object, Object> weigher;
  Duration l1Ttl = Duration.ofMinutes(1);
  Duration l2Ttl = Duration.ofHours(1);
  double ttlJitter = 0.1;
  Duration negativeTtl = Duration.ofSeconds(30);
  double refreshAhead;
  Duration staleIfError = Duration.ZERO;
  @Nullable Duration loadSoftTimeout;
  @Nullable Duration loadHardTimeout;
  /** A Jedis {@code UnifiedJedis} or a Lettuce client. */
  @Nullable Object redis;
  boolean coalesce;
  @Nullable Codec<Object> keyCodec;
  @Nullable Codec<Object> valueCodec;
  @Nullable String keyPrefix;
  int maxValueBytes = 1 << 20;
  int maxKeyLength = 1024;
  Duration l2Timeout = Duration.ofMillis(500);
  Duration leaseTime = Duration.ZERO;
  boolean invalidation = true;
  Duration heartbeat = Duration.ofSeconds(1);
  int asyncThreads = 4;
  int asyncQueue = 1024;
  @Nullable CircuitBreaker breaker;
  Ticker ticker = Ticker.system();
  Telemetry telemetry = Telemetry.none();
  @Nullable String instanceId;

  /** The options given so far: each may be given once. */
  private final java.util.Set<String> given = new java.util.HashSet<>();

  private TieredCacheBuilder() {}

  static TieredCacheBuilder<Object, Object> newBuilder() {
    return new TieredCacheBuilder<>();
  }

  /** The cache's name: metric tag, default key prefix and invalidation channel. Required. */
  public TieredCacheBuilder<K, V> name(String name) {
    requireUnset(!given.add("name"), "name", name);
    requireNonEmpty(name, "name");
    requireArgumentNoWhitespace(name);
    this.name = name;
    return this;
  }

  /** Bounds the L1 by entry count; 10 000 by default. Not with {@link #maximumWeight}. */
  public TieredCacheBuilder<K, V> maximumSize(long entries) {
    requireUnset(maximumSize >= 0, "maximumSize", maximumSize);
    requireUnset(maximumWeight >= 0, "maximumWeight", maximumWeight);
    this.maximumSize = requireNonNegative(entries, "maximumSize");
    return this;
  }

  /** Bounds the L1 by total weight as given by {@link #weigher}. Not with {@link #maximumSize}. */
  public TieredCacheBuilder<K, V> maximumWeight(long weight) {
    requireUnset(maximumWeight >= 0, "maximumWeight", maximumWeight);
    requireUnset(maximumSize >= 0, "maximumSize", maximumSize);
    this.maximumWeight = requireNonNegative(weight, "maximumWeight");
    return this;
  }

  /** Weighs L1 entries for {@link #maximumWeight}; must return a non-negative weight, cheaply. */
  @SuppressWarnings("unchecked")
  public <K1 extends K, V1 extends V> TieredCacheBuilder<K1, V1> weigher(
      ToIntBiFunction<? super K1, ? super V1> weigher) {
    requireUnset(!given.add("weigher"), "weigher");
    requireNonNull(weigher, "weigher");
    this.weigher = (ToIntBiFunction<Object, Object>) weigher;
    return (TieredCacheBuilder<K1, V1>) this;
  }

  /** How long a value stays in L1 (never longer than its L2 lifetime); 1 minute by default. */
  public TieredCacheBuilder<K, V> l1Ttl(Duration ttl) {
    requireUnset(!given.add("l1Ttl"), "l1Ttl", l1Ttl);
    this.l1Ttl = requirePositive(ttl, "l1Ttl");
    return this;
  }

  /** How long a value stays in Redis; 1 hour by default. */
  public TieredCacheBuilder<K, V> l2Ttl(Duration ttl) {
    requireUnset(!given.add("l2Ttl"), "l2Ttl", l2Ttl);
    this.l2Ttl = requirePositive(ttl, "l2Ttl");
    return this;
  }

  /**
   * Shortens each entry's TTLs by a random fraction in {@code [0, jitter]} so that entries written
   * together do not expire together; 0.1 by default, 0 turns it off.
   */
  public TieredCacheBuilder<K, V> ttlJitter(double jitter) {
    requireUnset(!given.add("ttlJitter"), "ttlJitter", ttlJitter);
    this.ttlJitter = requireInRange(jitter, 0.0, 0.5, "ttlJitter");
    return this;
  }

  /** How long "the loader found nothing" is remembered; 30 s by default, zero to never cache it. */
  public TieredCacheBuilder<K, V> negativeTtl(Duration ttl) {
    requireUnset(!given.add("negativeTtl"), "negativeTtl", negativeTtl);
    this.negativeTtl = requireNonNegative(ttl, "negativeTtl");
    return this;
  }

  /**
   * Once this fraction of an entry's TTL has passed, a hit still returns it but starts one
   * background reload (on a bounded executor; skipped when that is saturated). Off by default.
   */
  public TieredCacheBuilder<K, V> refreshAhead(double fractionOfTtl) {
    requireUnset(!given.add("refreshAhead"), "refreshAhead", refreshAhead);
    requireArgumentFraction(fractionOfTtl);
    this.refreshAhead = fractionOfTtl;
    return this;
  }

  /**
   * Keeps expired values this much longer and serves them when the loader throws; off by default.
   */
  public TieredCacheBuilder<K, V> staleIfError(Duration window) {
    requireUnset(!given.add("staleIfError"), "staleIfError", staleIfError);
    this.staleIfError = requireNonNegative(window, "staleIfError");
    return this;
  }

  /**
   * After this long a caller whose load has not finished gets the stale value, if stale-if-error
   * still holds one, while the load goes on in the background and then writes both tiers (and
   * tells the other instances, as a put does); without a stale value the caller keeps waiting.
   * Shorter than {@link #loadHardTimeout}. None by default; per call, see {@link LoadTimeouts}.
   * With a timeout that applies, the load runs on the cache's executor ({@link #asyncThreads})
   * while the caller waits; when that is saturated it runs on the caller's thread, unbounded.
   */
  public TieredCacheBuilder<K, V> loadSoftTimeout(Duration timeout) {
    requireUnset(loadSoftTimeout != null, "loadSoftTimeout", loadSoftTimeout);
    requirePositive(timeout, "loadSoftTimeout");
    Duration hard = loadHardTimeout;
    if (hard != null) {
      LoadTimeouts.requireSoftBelowHard(timeout, hard, "loadSoftTimeout", "loadHardTimeout");
    }
    this.loadSoftTimeout = timeout;
    return this;
  }

  /**
   * After this long a caller whose load has not finished gets the stale value if there is one, else
   * a {@link CacheLoadTimeoutException}; the load goes on and, if it succeeds, still fills both
   * tiers. Longer than {@link #loadSoftTimeout}. None by default; per call, see {@link LoadTimeouts}.
   */
  public TieredCacheBuilder<K, V> loadHardTimeout(Duration timeout) {
    requireUnset(loadHardTimeout != null, "loadHardTimeout", loadHardTimeout);
    requirePositive(timeout, "loadHardTimeout");
    Duration soft = loadSoftTimeout;
    if (soft != null) {
      LoadTimeouts.requireSoftBelowHard(soft, timeout, "loadSoftTimeout", "loadHardTimeout");
    }
    this.loadHardTimeout = timeout;
    return this;
  }

  /**
   * The L2: a Redis client, standalone ({@code RedisClient}), Sentinel ({@code
   * RedisSentinelClient}: the master the sentinels name, followed across failovers) or Cluster
   * ({@code RedisClusterClient}). The cache never changes the client or its pool. Each cache call
   * to Redis runs under one deadline, {@link #l2Timeout}, whatever the client's own timeouts.
   * Without it the cache is L1 only.
   */
  public TieredCacheBuilder<K, V> redis(UnifiedJedis client) {
    requireUnset(redis != null, "redis", redis);
    this.redis = requireNonNull(client, "client");
    return this;
  }

  /**
   * The L2 through Lettuce, on a standalone Redis (an optional dependency: needed only by callers
   * of this method). {@link #build()} opens one connection on {@code client}, shared by every call
   * of the cache (Lettuce multiplexes them: no pool, so no call waits for a connection) and closed
   * with the cache; the client stays the caller's. If Redis cannot be reached then, the cache is
   * built all the same and serves from L1 and the loader while the connection is tried again.
   * Invalidation subscribes on a second connection of its own. Each call is bounded by {@link
   * #l2Timeout} (a call not answered in time fails for the breaker; the client's own command
   * timeout only frees it, so give the client one at or above the L2 timeout). With Lettuce,
   * {@link TieredCache#getAsync} reads Redis without a thread of the cache: the read completes on
   * Lettuce's I/O thread, and only a load (user code) goes to the cache's executor.
   *
   * <p>Named apart from {@code redis(...)} on purpose: an overload with a Lettuce parameter would
   * make every {@code redis(jedis)} call need Lettuce on the compile class path.
   */
  public TieredCacheBuilder<K, V> lettuce(io.lettuce.core.RedisClient client) {
    requireUnset(redis != null, "redis", redis);
    this.redis = requireNonNull(client, "client");
    return this;
  }

  /**
   * As {@link #lettuce(io.lettuce.core.RedisClient)}, on a Redis Cluster: one Cluster connection
   * routing each command to its key's node, and invalidation by sharded pub/sub ({@code
   * SSUBSCRIBE} on the node owning the channel).
   */
  public TieredCacheBuilder<K, V> lettuce(io.lettuce.core.cluster.RedisClusterClient client) {
    requireUnset(redis != null, "redis", redis);
    this.redis = requireNonNull(client, "client");
    return this;
  }

  /**
   * With a Jedis client, writes the L2 reads and writes of all threads calling at once to each
   * Redis node as one pipeline, on a connection of the cache's own per node, instead of one pooled
   * connection and one round trip per call; off by default. Worth it when many threads miss L1 at
   * once: each read then costs a share of a round trip. With one caller at a time it adds a
   * hand-off to the node's flusher thread.
   *
   * <p>Queued: reads ({@code GET} with {@code PTTL}; a bulk read as one such pair per key, each
   * on its node), {@code SET PX} and the versioned writes (scripts). Deletes, publishes and the
   * lease's {@code SET NX} go through the client's pool as without this option, so the cache's
   * asynchronous forms keep handing off to its executor. Cost: one extra connection and one daemon
   * flusher thread per Redis node in use (both released after 10 s without calls and by {@link
   * TieredCache#close()}), a queue insertion and a future per call; at most 4 096 calls wait per
   * node, past that a call fails at once (counted by the breaker as a failure). Each call is still
   * bounded by {@link #l2Timeout}. Needs a {@code RedisClient} or {@code RedisClusterClient}
   * ({@link #build()} refuses a Sentinel client); does nothing with Lettuce, which multiplexes
   * calls over one connection already.
   */
  public TieredCacheBuilder<K, V> coalesceRedisCalls() {
    requireUnset(coalesce, "coalesceRedisCalls");
    this.coalesce = true;
    return this;
  }

  /** Turns keys into the bytes of Redis keys and invalidation messages, and back. */
  @SuppressWarnings("unchecked")
  public <K1 extends K> TieredCacheBuilder<K1, V> keyCodec(Codec<K1> codec) {
    requireUnset(!given.add("keyCodec"), "keyCodec");
    this.keyCodec = (Codec<Object>) requireNonNull(codec, "keyCodec");
    return (TieredCacheBuilder<K1, V>) this;
  }

  /** Turns values into bytes for Redis, and back. Required with {@link #redis}. */
  @SuppressWarnings("unchecked")
  public <V1 extends V> TieredCacheBuilder<K, V1> valueCodec(Codec<V1> codec) {
    requireUnset(!given.add("valueCodec"), "valueCodec");
    this.valueCodec = (Codec<Object>) requireNonNull(codec, "valueCodec");
    return (TieredCacheBuilder<K, V1>) this;
  }

  /** Prefix of every Redis key; {@code "<name>:"} by default. May hold a {@code {hash tag}}. */
  public TieredCacheBuilder<K, V> keyPrefix(String prefix) {
    requireUnset(!given.add("keyPrefix"), "keyPrefix", keyPrefix);
    this.keyPrefix = requireNonNull(prefix, "keyPrefix");
    return this;
  }

  /** Largest encoded value accepted; bigger values are refused with an exception. 1 MiB by default. */
  public TieredCacheBuilder<K, V> maxValueBytes(int bytes) {
    requireUnset(!given.add("maxValueBytes"), "maxValueBytes", maxValueBytes);
    this.maxValueBytes = requirePositive(bytes, "maxValueBytes");
    return this;
  }

  /**
   * Longest key accepted: characters of a String key, and bytes of every encoded key; 1024 by
   * default, at most 1 048 576. A longer key is refused with an {@code IllegalArgumentException}
   * before anything is read or written.
   */
  public TieredCacheBuilder<K, V> maxKeyLength(int length) {
    requireUnset(!given.add("maxKeyLength"), "maxKeyLength", maxKeyLength);
    this.maxKeyLength = (int) requireInRange(length, 1, 1_048_576, "maxKeyLength");
    return this;
  }

  /**
   * The longest a cache call waits for Redis before the attempt counts as a failure for the
   * breaker; 500 ms by default, in [1 ms, 1 min]. On a {@code RedisClient}, a {@code
   * RedisSentinelClient} (on its current master's pool) or a {@code RedisClusterClient} it is one
   * deadline per call to Redis: the wait for a pooled connection and
   * for the answer together, on every node the call visits (the connection is borrowed from the
   * client's pool and its socket timeout set by the cache; the client's pool settings are left as
   * they are). It also bounds the time single-flight waiters give a leader that is talking to
   * Redis. Other clients' calls are bounded by their own pool wait and socket timeout. With
   * {@link #lettuce(io.lettuce.core.RedisClient) Lettuce} each call's future is bounded by it (no
   * pool wait: one multiplexed connection); a SCAN-and-DEL walk of {@code invalidateAll} by 20 times
   * it as a whole.
   */
  public TieredCacheBuilder<K, V> l2Timeout(Duration timeout) {
    requireUnset(!given.add("l2Timeout"), "l2Timeout", l2Timeout);
    this.l2Timeout = requireInRange(timeout, Duration.ofMillis(1), Duration.ofMinutes(1), "l2Timeout");
    return this;
  }

  /**
   * Turns on the cluster-wide load lease: on an L2 miss an instance takes a lock key (SET NX PX)
   * for {@code leaseTime} and loads; the others poll L2 until the value appears or the lease time
   * has passed, then load themselves. Off by default.
   */
  public TieredCacheBuilder<K, V> clusterLease(Duration leaseTime) {
    requireUnset(!given.add("clusterLease"), "clusterLease", leaseTime);
    this.leaseTime = requirePositive(leaseTime, "leaseTime");
    return this;
  }

  /** Turns cross-instance L1 invalidation off (on by default with Redis). */
  public TieredCacheBuilder<K, V> invalidation(boolean enabled) {
    requireUnset(!given.add("invalidation"), "invalidation", invalidation);
    this.invalidation = enabled;
    return this;
  }

  /**
   * How often each instance announces its invalidation sequence number, which bounds how long a
   * lost invalidation goes unnoticed; 1 s by default, in [10 ms, 1 h] (each heartbeat is one
   * PUBLISH to every instance).
   */
  public TieredCacheBuilder<K, V> invalidationHeartbeat(Duration interval) {
    requireUnset(!given.add("invalidationHeartbeat"), "invalidationHeartbeat", heartbeat);
    this.heartbeat = requireInRange(interval, Duration.ofMillis(10), Duration.ofHours(1), "invalidationHeartbeat");
    return this;
  }

  /**
   * Threads and queue of the executor that runs async misses, writes and refreshes; 4 and 1024. A
   * task that finds the queue full, or waited in it for more than a quarter of {@link #l2Timeout},
   * makes no Redis call: it is served from L1 and the loader (writes go to L1, the other instances
   * and the repair queue), so an async call's wait stays within about 1.25 × the L2 timeout.
   */
  public TieredCacheBuilder<K, V> asyncThreads(int threads, int queueCapacity) {
    requireUnset(!given.add("asyncThreads"), "asyncThreads", asyncThreads + ", " + asyncQueue);
    this.asyncThreads = requirePositive(threads, "asyncThreads");
    this.asyncQueue = requirePositive(queueCapacity, "queueCapacity");
    return this;
  }

  /** The breaker guarding every Redis call; one with core defaults by default. */
  public TieredCacheBuilder<K, V> circuitBreaker(CircuitBreaker breaker) {
    requireUnset(!given.add("circuitBreaker"), "circuitBreaker");
    this.breaker = requireNonNull(breaker, "circuitBreaker");
    return this;
  }

  /** This instance's id in invalidation messages; a random UUID by default. */
  public TieredCacheBuilder<K, V> instanceId(String id) {
    requireUnset(!given.add("instanceId"), "instanceId", instanceId);
    this.instanceId = requireNonEmpty(id, "instanceId");
    return this;
  }

  /** The time source; the system ticker by default. */
  public TieredCacheBuilder<K, V> ticker(Ticker ticker) {
    requireUnset(!given.add("ticker"), "ticker");
    this.ticker = requireNonNull(ticker, "ticker");
    return this;
  }

  /** Where metrics and spans go; nowhere by default. */
  public TieredCacheBuilder<K, V> telemetry(Telemetry telemetry) {
    requireUnset(!given.add("telemetry"), "telemetry");
    this.telemetry = requireNonNull(telemetry, "telemetry");
    return this;
  }

  /** Builds the cache and, with Redis and invalidation on, starts its two invalidation threads. */
  public <K1 extends K, V1 extends V> TieredCache<K1, V1> build() {
    requireState(name != null, "name must be set");
    if (redis != null) {
      requireState(keyCodec != null, "keyCodec must be set when redis is set");
      requireState(valueCodec != null, "valueCodec must be set when redis is set");
    }
    if (coalesce && redis instanceof UnifiedJedis jedis && !CoalescingJedisBackend.supports(jedis)) {
      throw new IllegalStateException("coalesceRedisCalls needs a Jedis RedisClient or "
          + "RedisClusterClient but the client was a " + jedis.getClass().getName());
    }
    requireState(!coalesce || redis != null, "coalesceRedisCalls needs redis to be set");
    requireState(maximumWeight < 0 || weigher != null, "weigher must be set with maximumWeight");
    requireState(weigher == null || maximumWeight >= 0, "maximumWeight must be set with weigher");
    return new DefaultTieredCache<>(new CacheConfig(this));
  }

  String instanceIdOrRandom() {
    String id = instanceId;
    return id != null ? id : UUID.randomUUID().toString();
  }

  private static void requireArgumentNoWhitespace(String name) {
    for (int i = 0; i < name.length(); i++) {
      if (Character.isWhitespace(name.charAt(i))) {
        throw new IllegalArgumentException("name must not contain whitespace but was '" + name + "'");
      }
    }
  }

  private static void requireArgumentFraction(double fraction) {
    if (!(fraction > 0 && fraction < 1)) {
      throw new IllegalArgumentException("refreshAhead must be in (0, 1) but was " + fraction);
    }
  }
}
