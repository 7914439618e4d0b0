package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.FakeTicker;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisClient;

/**
 * L2 freshness is decided by Redis: two instances whose clocks are 10 minutes apart (more than
 * l2Ttl) share every L2 entry and never overwrite each other's values.
 */
class SkewedClocksIT {

  private static TieredCache<String, String> cache(String name, RedisClient client, FakeTicker ticker,
      SimpleMeterRegistry registry) {
    return TieredCache.builder().name(name).keyCodec(Codec.utf8()).valueCodec(Codec.utf8()).redis(client)
        .invalidation(false).ticker(ticker).l1Ttl(Duration.ofMinutes(1)).l2Ttl(Duration.ofMinutes(5))
        .staleIfError(Duration.ofMinutes(1)).telemetry(Telemetry.of(registry)).build();
  }

  private static double l2(SimpleMeterRegistry registry, String result) {
    return registry.get("scaleblocks.cache.gets").tags("tier", "l2", "result", result).functionCounter().count();
  }

  @Test
  void instancesTenMinutesApartShareL2Entries() {
    String name = "skew-" + UUID.randomUUID();
    FakeTicker behind = new FakeTicker();
    FakeTicker ahead = new FakeTicker();
    SimpleMeterRegistry rBehind = new SimpleMeterRegistry();
    SimpleMeterRegistry rAhead = new SimpleMeterRegistry();
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        RedisClient client = RedisClients.standalone(redis.host(), redis.port());
        TieredCache<String, String> a = cache(name, client, behind, rBehind);
        TieredCache<String, String> b = cache(name, client, ahead, rAhead)) {
      ahead.advance(Duration.ofMinutes(10)); // b's clock now runs 10 minutes ahead of a's
      AtomicInteger loads = new AtomicInteger();
      for (int i = 0; i < 100; i++) {
        String key = "a" + i;
        a.get(key, k -> {
          loads.incrementAndGet();
          return "from-a-" + k;
        });
      }
      for (int i = 0; i < 100; i++) {
        String key = "b" + i;
        b.get(key, k -> {
          loads.incrementAndGet();
          return "from-b-" + k;
        });
      }
      assertThat(loads).hasValue(200);
      // each reads the other's entries from L2: no loader call, no overwrite
      for (int i = 0; i < 100; i++) {
        CacheEntry<String> written = a.getEntryIfPresent("a" + i);
        CacheEntry<String> read = b.getEntry("a" + i, k -> "overwritten-by-b");
        assertThat(read.value()).isEqualTo("from-a-a" + i);
        assertThat(read.version()).isEqualTo(written.version());
        assertThat(a.get("b" + i, k -> "overwritten-by-a")).isEqualTo("from-b-b" + i);
      }
      LoggerFactory.getLogger(SkewedClocksIT.class).info("clocks 10 min apart, l2Ttl 5 min: b had {} L2 hits, "
          + "{} L2 misses of a's 100 entries; a had {} L2 hits", (long) l2(rAhead, "hit"),
          (long) (l2(rAhead, "miss") - 100), (long) l2(rBehind, "hit"));
      assertThat(l2(rAhead, "hit")).isEqualTo(100);
      assertThat(l2(rBehind, "hit")).isEqualTo(100);
    }
  }

  @Test
  void staleIfErrorComesFromTheTtlRedisKeeps() throws Exception {
    String name = "skew-stale-" + UUID.randomUUID();
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        RedisClient client = RedisClients.standalone(redis.host(), redis.port());
        TieredCache<String, String> writer = TieredCache.builder().name(name).keyCodec(Codec.utf8())
            .valueCodec(Codec.utf8()).redis(client).invalidation(false).ttlJitter(0)
            .l2Ttl(Duration.ofMillis(300)).staleIfError(Duration.ofMinutes(1)).build();
        TieredCache<String, String> reader = TieredCache.builder().name(name).keyCodec(Codec.utf8())
            .valueCodec(Codec.utf8()).redis(client).invalidation(false).ticker(new FakeTicker().advance(Duration.ofDays(3)))
            .l2Ttl(Duration.ofMillis(300)).staleIfError(Duration.ofMinutes(1)).build()) {
      writer.put("k", "v1");
      Thread.sleep(600); // Redis: past its fresh 300 ms, inside its stale window
      assertThat(reader.get("k", k -> {
        throw new IllegalStateException("database down");
      })).isEqualTo("v1");
      assertThat(reader.get("k", k -> "v2")).isEqualTo("v2");
    }
  }
}
