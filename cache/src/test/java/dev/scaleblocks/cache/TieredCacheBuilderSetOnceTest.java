package dev.scaleblocks.cache;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.FakeTicker;
import dev.scaleblocks.core.testing.SetOnceOptions;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** Every option of {@link TieredCacheBuilder} refuses a second set, naming the option and its value. */
class TieredCacheBuilderSetOnceTest {

  // clients are only handed to the builder, never used: none of them connects
  private final RedisClient jedis = RedisClient.builder().hostAndPort("127.0.0.1", 1).build();
  private final io.lettuce.core.RedisClient lettuce = io.lettuce.core.RedisClient.create("redis://127.0.0.1:1");
  private final CircuitBreaker breaker = CircuitBreaker.builder("set-once").build();

  @AfterEach
  void close() {
    jedis.close();
    lettuce.shutdown();
    breaker.close();
  }

  @Test
  void everyOptionOnce() {
    Supplier<TieredCacheBuilder<Object, Object>> fresh = TieredCache::builder;
    Supplier<TieredCacheBuilder<Object, Object>> weighed = () -> TieredCache.builder().maximumWeight(10);
    SetOnceOptions.of(TieredCacheBuilder.class, fresh)
        .option("name", b -> b.name("books"), "name was already set to books")
        .option("maximumSize", b -> b.maximumSize(10), "maximumSize was already set to 10")
        .option("maximumWeight", b -> b.maximumWeight(10), "maximumWeight was already set to 10")
        .option("weigher", weighed, b -> b.weigher((k, v) -> 1), "weigher was already set")
        .option("l1Ttl", b -> b.l1Ttl(Duration.ofSeconds(5)), "l1Ttl was already set to PT5S")
        .option("l2Ttl", b -> b.l2Ttl(Duration.ofMinutes(5)), "l2Ttl was already set to PT5M")
        .option("ttlJitter", b -> b.ttlJitter(0.2), "ttlJitter was already set to 0.2")
        .option("negativeTtl", b -> b.negativeTtl(Duration.ofSeconds(1)), "negativeTtl was already set to PT1S")
        .option("refreshAhead", b -> b.refreshAhead(0.5), "refreshAhead was already set to 0.5")
        .option("staleIfError", b -> b.staleIfError(Duration.ofSeconds(9)), "staleIfError was already set to PT9S")
        .option("loadSoftTimeout", b -> b.loadSoftTimeout(Duration.ofMillis(100)),
            "loadSoftTimeout was already set to PT0.1S")
        .option("loadHardTimeout", b -> b.loadHardTimeout(Duration.ofSeconds(3)),
            "loadHardTimeout was already set to PT3S")
        .option("redis", b -> b.redis(jedis), "redis was already set to " + jedis)
        .option("lettuce", b -> b.lettuce(lettuce), "redis was already set to " + lettuce)
        .option("coalesceRedisCalls", b -> b.coalesceRedisCalls(), "coalesceRedisCalls was already set")
        .option("keyCodec", b -> b.keyCodec(Codec.utf8()), "keyCodec was already set")
        .option("valueCodec", b -> b.valueCodec(Codec.utf8()), "valueCodec was already set")
        .option("keyPrefix", b -> b.keyPrefix("p:"), "keyPrefix was already set to p:")
        .option("maxValueBytes", b -> b.maxValueBytes(100), "maxValueBytes was already set to 100")
        .option("maxKeyLength", b -> b.maxKeyLength(64), "maxKeyLength was already set to 64")
        .option("l2Timeout", b -> b.l2Timeout(Duration.ofMillis(50)), "l2Timeout was already set to PT0.05S")
        .option("clusterLease", b -> b.clusterLease(Duration.ofSeconds(2)), "clusterLease was already set to PT2S")
        .option("invalidation", b -> b.invalidation(false), "invalidation was already set to false")
        .option("invalidationHeartbeat", b -> b.invalidationHeartbeat(Duration.ofSeconds(2)),
            "invalidationHeartbeat was already set to PT2S")
        .option("asyncThreads", b -> b.asyncThreads(2, 16), "asyncThreads was already set to 2, 16")
        .option("circuitBreaker", b -> b.circuitBreaker(breaker), "circuitBreaker was already set")
        .option("instanceId", b -> b.instanceId("i-1"), "instanceId was already set to i-1")
        .option("ticker", b -> b.ticker(new FakeTicker()), "ticker was already set")
        .option("telemetry", b -> b.telemetry(Telemetry.none()), "telemetry was already set")
        .alsoRefused("maximumSize", "maximumWeight", "maximumSize was already set to 10")
        .alsoRefused("redis", "lettuce", "redis was already set to " + jedis)
        .verify();
  }
}
