package dev.scaleblocks.benchmarks.report;

import java.util.List;
import java.util.Map;

/**
 * The pairing of every benchmark with its anchor and the bar from the design, in one place. When
 * a benchmark is added or renamed, this list is where the report learns of it; benchmarks that no
 * goal names still appear in the report under "other results".
 */
public final class Goals {

  private Goals() {}

  /** Every goal, in report order. */
  public static List<Goal> all() {
    return List.of(
        // core: key hashing (no bar in the design; shown beside the libraries a user would pick)
        Goal.info("core", "HashingBenchmark.xxHash64String", "HashingBenchmark.anchorLz4XxHash64String",
            "xxHash64 of a 32-char String vs lz4-java (encode + hash)"),
        Goal.info("core", "HashingBenchmark.murmur3_64String", "HashingBenchmark.anchorGuavaMurmur3String",
            "Murmur3 of a 32-char String vs Guava murmur3_128"),
        Goal.info("core", "HashingBenchmark.xxHash64Long", "HashingBenchmark.anchorLz4XxHash64Long",
            "xxHash64 of a long vs lz4-java"),
        Goal.info("core", "HashingBenchmark.murmur3_64Long", "HashingBenchmark.anchorGuavaMurmur3Long",
            "Murmur3 of a long vs Guava murmur3_128"),
        // cache: L1 hit beside raw Caffeine, L2 beside raw Jedis
        Goal.throughputAtLeast("cache", "CacheL1Benchmark.tieredGet1", "CacheL1Benchmark.caffeineGetIfPresent1", 0.9,
            "L1 hit ≥ 0.9× raw Caffeine getIfPresent throughput (and 0 B/op), 1 thread"),
        Goal.throughputAtLeast("cache", "CacheL1Benchmark.tieredGet2", "CacheL1Benchmark.caffeineGetIfPresent2", 0.9,
            "L1 hit ≥ 0.9× raw Caffeine getIfPresent throughput (and 0 B/op), 2 threads"),
        Goal.info("cache", "CacheL1Benchmark.tieredGet1", "CacheL1Benchmark.caffeineVariableExpiry1",
            "L1 hit vs raw Caffeine configured as the L1 is (per-entry expiry, injected ticker and executor), 1 thread"),
        Goal.timeAtMost("cache", "CacheL2Benchmark.l2Hit", "CacheL2Benchmark.rawJedisGet", 1.1,
            "L2 hit (cold L1) ≤ 1.1× raw Jedis GET + codec latency"),
        Goal.timeAtMost("cache", "CacheL2Benchmark.l2HitLettuce", "CacheL2Benchmark.rawLettuceGet", 1.1,
            "L2 hit over Lettuce (cold L1) ≤ 1.1× raw Lettuce GET (sync API) + codec latency"),
        Goal.throughputAtLeast("cache", "CacheL2Benchmark.l2Hit16", "CacheL2Benchmark.rawJedisGet16", 3,
            "16 threads reading distinct cold-L1 keys, cache over Jedis (pool of 16) ≥ 3× raw pooled Jedis GETs"),
        Goal.throughputAtLeast("cache", "CacheL2Benchmark.l2HitCoalesced16", "CacheL2Benchmark.rawJedisGet16", 3,
            "16 threads reading distinct cold-L1 keys, cache over Jedis with coalesceRedisCalls() ≥ 3× raw pooled Jedis GETs"),
        Goal.throughputAtLeast("cache", "CacheL2Benchmark.l2HitLettuce16", "CacheL2Benchmark.rawJedisGet16", 3,
            "16 threads reading distinct cold-L1 keys, cache over Lettuce ≥ 3× raw pooled Jedis GETs (pool of 16)"),
        Goal.throughputAtLeast("cache", "CacheL2Benchmark.getAll100", "CacheL2Benchmark.rawJedis100Gets", 20,
            "getAll(100), cold L1, one round trip ≥ 20× faster than 100 GETs"),
        // ratelimit: local beside bucket4j, Resilience4j and Guava; Redis beside bucket4j-jedis
        Goal.timeAtMost("ratelimit", "LocalRateLimitBenchmark.tryAcquire", "LocalRateLimitBenchmark.anchorBucket4j", 1.5,
            "local tryAcquire(key) ≤ 1.5× a bare bucket4j bucket's ns/op, key lookup included"),
        Goal.timeAtMost("ratelimit", "LocalRateLimitBenchmark.tryAcquire", "LocalRateLimitBenchmark.anchorResilience4j", 1.0,
            "local tryAcquire(key) ahead of Resilience4j"),
        Goal.timeAtMost("ratelimit", "LocalRateLimitBenchmark.tryAcquire", "LocalRateLimitBenchmark.anchorGuava", 1.0,
            "local tryAcquire(key) ahead of Guava RateLimiter"),
        Goal.timeAtMost("ratelimit", "LocalRateLimitBenchmark.tryAcquire2t", "LocalRateLimitBenchmark.anchorBucket4j2t", 1.2,
            "local tryAcquire(key) ≤ 1.2× a bare bucket4j bucket's ns/op, 2 threads on one key"),
        Goal.timeAtMost("ratelimit", "LocalRateLimitBenchmark.tryAcquire2t", "LocalRateLimitBenchmark.anchorResilience4j2t", 1.0,
            "local tryAcquire(key) ahead of Resilience4j, 2 threads"),
        Goal.timeAtMost("ratelimit", "LocalRateLimitBenchmark.tryAcquire2t", "LocalRateLimitBenchmark.anchorGuava2t", 1.0,
            "local tryAcquire(key) ahead of Guava RateLimiter, 2 threads"),
        Goal.timeAtMost("ratelimit", "LocalRateLimitBenchmark.allow", "LocalRateLimitBenchmark.anchorBucket4j", 1.0,
            "local allow(key) (boolean, 0 B/op) ahead of a bare bucket4j bucket, key lookup included"),
        Goal.timeAtMost("ratelimit", "LocalRateLimitBenchmark.allow", "LocalRateLimitBenchmark.anchorResilience4j", 1.0,
            "local allow(key) ahead of Resilience4j"),
        Goal.timeAtMost("ratelimit", "LocalRateLimitBenchmark.allow", "LocalRateLimitBenchmark.anchorGuava", 1.0,
            "local allow(key) ahead of Guava RateLimiter"),
        Goal.timeAtMost("ratelimit", "LocalRateLimitBenchmark.allow2t", "LocalRateLimitBenchmark.anchorBucket4j2t", 1.2,
            "local allow(key) ≤ 1.2× a bare bucket4j bucket's ns/op, 2 threads on one key"),
        Goal.info("ratelimit", "LocalRateLimitBenchmark.tryAcquireFixedWindow", "LocalRateLimitBenchmark.anchorBucket4j",
            "local fixed window beside a bare bucket4j bucket"),
        Goal.info("ratelimit", "LocalRateLimitBenchmark.tryAcquireFixedWindow2t", "LocalRateLimitBenchmark.anchorBucket4j2t",
            "local fixed window beside a bare bucket4j bucket, 2 threads"),
        Goal.throughputAtLeast("ratelimit", "RedisRateLimitBenchmark.tryAcquire", "RedisRateLimitBenchmark.anchorBucket4jJedis", 2,
            "Redis tryAcquire ≥ 2× bucket4j-jedis throughput at the same concurrency (8 threads)"),
        Goal.throughputAtLeast("ratelimit", "RedisRateLimitBenchmark.tryAcquireLettuce", "RedisRateLimitBenchmark.anchorBucket4jJedis", 3,
            "Redis tryAcquire over Lettuce (one connection) ≥ 3× bucket4j-jedis (8 threads)"),
        Goal.throughputAtLeast("ratelimit", "RedisRateLimitBenchmark.tryAcquireCoalesced", "RedisRateLimitBenchmark.anchorBucket4jJedis", 3,
            "Redis tryAcquire over Jedis with coalesceRedisCalls() ≥ 3× bucket4j-jedis (8 threads)"),
        Goal.throughputAtLeast("ratelimit", "RedisRateLimitBenchmark.tryAcquireLeasing", "RedisRateLimitBenchmark.tryAcquire", 10,
            "Redis leasing (k = 100) ≥ 10× per-request throughput"),
        // sharding: one method per key type, the router (ours or an anchor) is a parameter
        route("routeLong", "JUMP", "GUAVA_CONSISTENT_HASH", Goal.Kind.TIME_AT_MOST, 0.8,
            "jump lookup, long key ≤ 0.8× Guava consistentHash at every shard count"),
        route("routeLong", "MAGLEV", "GUAVA_CONSISTENT_HASH", Goal.Kind.NANOS_AT_MOST, 20,
            "Maglev lookup, long key ≤ 20 ns (beside Guava consistentHash)"),
        route("routeString", "KETAMA_MD5", "TREEMAP_RING", Goal.Kind.NANOS_AT_MOST, 60,
            "ketama ring (160 points per shard, MD5), 32-char key ≤ 60 ns (beside a TreeMap ring)"),
        route("routeString", "KETAMA_XXHASH", "TREEMAP_RING", Goal.Kind.NANOS_AT_MOST, 50,
            "ketama ring (160 points per shard, xxHash), 32-char key ≤ 50 ns and 0 B/op (beside a TreeMap ring)"),
        route("routeString", "JUMP", "GUAVA_CONSISTENT_HASH", Goal.Kind.INFO, Double.NaN,
            "jump, 32-char key vs Guava murmur3 + consistentHash"),
        route("routeString", "MAGLEV", "GUAVA_CONSISTENT_HASH", Goal.Kind.INFO, Double.NaN,
            "Maglev, 32-char key vs Guava murmur3 + consistentHash"),
        route("routeLong", "KETAMA_MD5", "TREEMAP_RING", Goal.Kind.INFO, Double.NaN,
            "ketama (MD5), long key vs a TreeMap ring"),
        route("routeLong", "KETAMA_XXHASH", "TREEMAP_RING", Goal.Kind.INFO, Double.NaN,
            "ketama (xxHash), long key vs a TreeMap ring"),
        route("routeString", "RENDEZVOUS", "TREEMAP_RING", Goal.Kind.INFO, Double.NaN,
            "weighted rendezvous (O(shards)), 32-char key vs a TreeMap ring"),
        route("routeLong", "RENDEZVOUS", "TREEMAP_RING", Goal.Kind.INFO, Double.NaN,
            "weighted rendezvous (O(shards)), long key vs a TreeMap ring"),
        route("routeString", "HASH_SLOTS", "GUAVA_CONSISTENT_HASH", Goal.Kind.INFO, Double.NaN,
            "Redis hash slots (CRC16), 32-char key vs Guava murmur3 + consistentHash"),
        route("routeLong", "HASH_SLOTS", "GUAVA_CONSISTENT_HASH", Goal.Kind.INFO, Double.NaN,
            "Redis hash slots, long key vs Guava consistentHash"),
        // pooling: routing getConnection+close against raw HikariCP, stub driver and PostgreSQL
        Goal.throughputAtLeast("pooling", "PoolRoutingBenchmark.readWriteGetClose",
            "PoolRoutingBenchmark.anchorHikariGetClose", 0.97,
            "ReadWriteDataSource write path ≥ 0.97× raw HikariCP getConnection+close"),
        Goal.throughputAtLeast("pooling", "PoolRoutingBenchmark.readOnlyGetClose",
            "PoolRoutingBenchmark.anchorHikariGetClose", 0.97,
            "ReadWriteDataSource read path (replica) ≥ 0.97× raw HikariCP getConnection+close"),
        Goal.throughputAtLeast("pooling", "PoolRoutingBenchmark.lazySetReadOnlyGetClose",
            "PoolRoutingBenchmark.anchorHikariSameCalls", 0.97,
            "lazy connection routed by setReadOnly ≥ 0.97× the same calls on a raw read-only HikariCP pool"),
        Goal.info("pooling", "PoolRoutingBenchmark.lazySetReadOnlyGetClose",
            "PoolRoutingBenchmark.anchorHikariGetClose",
            "lazy connection (getConnection, setReadOnly, one call, close) vs bare raw getConnection+close"));
  }

  /** A {@code ShardRouterBenchmark} method for router {@code ours} beside router {@code anchor}. */
  private static Goal route(String method, String ours, String anchor, Goal.Kind kind, double bound, String text) {
    String name = "ShardRouterBenchmark." + method;
    return new Goal("sharding", name, Map.of("router", ours), name, Map.of("router", anchor), kind, bound, text);
  }

  /** A JMH include regex matching every benchmark some goal names (ours and anchors). */
  public static String includeRegex(List<Goal> goals) {
    java.util.Set<String> names = new java.util.TreeSet<>();
    for (Goal g : goals) {
      names.add(g.ours());
      if (g.hasAnchor()) {
        names.add(g.anchor());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String n : names) {
      sb.append(sb.length() == 0 ? "" : "|").append(java.util.regex.Pattern.quote("." + n)).append('$');
    }
    return sb.toString();
  }
}
