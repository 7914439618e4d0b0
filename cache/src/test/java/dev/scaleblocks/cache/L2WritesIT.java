package dev.scaleblocks.cache;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.FakeTicker;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.RedisClient;

/**
 * A failed L2 read never turns a load into an overwrite; reads never queue repairs; repairs are one
 * per key. Against a throw-away Redis that is paused or killed.
 */
class L2WritesIT {

  /** A breaker that does not open during these short tests, so every call really goes to Redis. */
  private static CircuitBreaker patientBreaker() {
    return CircuitBreaker.builder("cache.writes-" + UUID.randomUUID()).minimumNumberOfCalls(1_000)
        .slidingWindowSize(1_000).build();
  }

  private static TieredCacheBuilder<String, String> builder(String name, TestL2 client) {
    return client.attach(TieredCache.builder().name(name).keyCodec(Codec.utf8()).valueCodec(Codec.utf8()))
        .invalidation(false).l2Timeout(Duration.ofMillis(300)).circuitBreaker(patientBreaker());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"jedis", "lettuce"})
  void aLoadWhoseL2ReadFailedDoesNotOverwriteWhatRedisHolds(String kind) {
    String name = "writes-" + UUID.randomUUID();
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        TestL2 client = TestL2.on(kind, redis.host(), redis.port());
        RedisClient admin = RedisClients.standalone(redis.host(), redis.port());
        TieredCache<String, String> cache = builder(name, client).build()) {
      byte[] rkey = (name + ":k").getBytes(UTF_8);
      redis.pause(); // the cache's GET times out
      String v = cache.get("k", k -> {
        // meanwhile Redis is back and another instance invalidated or rewrote the key
        redis.resume();
        admin.set(rkey, "written-by-another-instance".getBytes(UTF_8));
        return "loaded-from-an-old-snapshot";
      });
      assertThat(v).isEqualTo("loaded-from-an-old-snapshot");
      assertThat(new String(admin.get(rkey), UTF_8)).as("L2 after the load").isEqualTo("written-by-another-instance");
      assertThat(((DefaultTieredCache<String, String>) cache).pendingRepairs()).isZero();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"jedis", "lettuce"})
  void aRefreshWhoseL2ReadFailedDoesNotOverwriteWhatRedisHolds(String kind) throws Exception {
    String name = "refresh-" + UUID.randomUUID();
    FakeTicker ticker = new FakeTicker();
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        TestL2 client = TestL2.on(kind, redis.host(), redis.port());
        RedisClient admin = RedisClients.standalone(redis.host(), redis.port());
        TieredCache<String, String> cache = builder(name, client).ticker(ticker).ttlJitter(0)
            .l1Ttl(Duration.ofSeconds(10)).refreshAhead(0.5).build()) {
      byte[] rkey = (name + ":k").getBytes(UTF_8);
      cache.put("k", "v1");
      ticker.advanceSeconds(6); // past the refresh point, still fresh
      CountDownLatch loaderStarted = new CountDownLatch(1);
      CountDownLatch proceed = new CountDownLatch(1);
      CountDownLatch loaderDone = new CountDownLatch(1);
      redis.pause();
      assertThat(cache.get("k", k -> {
        loaderStarted.countDown();
        try {
          proceed.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        loaderDone.countDown();
        return "refreshed-from-an-old-snapshot";
      })).isEqualTo("v1");
      assertThat(loaderStarted.await(10, TimeUnit.SECONDS)).isTrue(); // the refresh's GET failed
      redis.resume();
      admin.set(rkey, "written-by-another-instance".getBytes(UTF_8));
      proceed.countDown();
      assertThat(loaderDone.await(10, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(300); // let the refresh finish its store
      assertThat(new String(admin.get(rkey), UTF_8)).as("L2 after the refresh").isEqualTo("written-by-another-instance");
    }
  }

  /**
   * A cache without invalidation has no publisher whose tick runs the repairs: it must still write
   * them once Redis answers again, by itself, without another write or tag invalidation.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"jedis", "lettuce"})
  void withoutInvalidationWritesThatMissedRedisAreRepairedByThemselves(String kind) {
    String name = "self-repair-" + UUID.randomUUID();
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        TestL2 client = TestL2.on(kind, redis.host(), redis.port());
        RedisClient admin = RedisClients.standalone(redis.host(), redis.port());
        TieredCache<String, String> cache = builder(name, client).build()) {
      DefaultTieredCache<String, String> impl = (DefaultTieredCache<String, String>) cache;
      byte[] rkey = (name + ":k").getBytes(UTF_8);
      cache.put("k", "v1");
      redis.pause();
      cache.put("k", "v2"); // times out: queued for a repair
      assertThat(impl.pendingRepairs()).isEqualTo(1);
      redis.resume();
      long start = System.nanoTime();
      await().atMost(Duration.ofSeconds(10)).until(() -> impl.pendingRepairs() == 0);
      System.out.printf("self-repair (%s): repaired %d ms after redis came back%n", kind,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      // the repair is a tombstone: another instance loads instead of reading v1 (or a late v2)
      try (TieredCache<String, String> other = builder(name, client).build()) {
        assertThat(other.get("k", k -> "reloaded")).isEqualTo("reloaded");
      }
      assertThat(admin.exists(rkey)).isTrue();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"jedis", "lettuce"})
  void readsDuringAnOutageQueueNoRepairsAndWritesQueueOnePerKey(String kind) {
    String name = "repairs-" + UUID.randomUUID();
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        TestL2 client = TestL2.on(kind, redis.host(), redis.port());
        TieredCache<String, String> cache = builder(name, client).build()) {
      DefaultTieredCache<String, String> impl = (DefaultTieredCache<String, String>) cache;
      redis.kill();
      for (int i = 0; i < 5; i++) {
        String bulk = "bulk-" + i;
        assertThat(cache.get("read-" + i, k -> "v")).isEqualTo("v");
        assertThat(cache.getAll(java.util.List.of(bulk), ks -> java.util.Map.of(bulk, "v"))).hasSize(1);
      }
      assertThat(impl.pendingRepairs()).as("repairs queued by reads").isZero();

      for (int round = 0; round < 100; round++) {
        for (int k = 0; k < 10; k++) {
          if (round % 2 == 0) {
            cache.put("w" + k, "v" + round);
          } else {
            cache.invalidate("w" + k);
          }
        }
      }
      cache.putAll(java.util.Map.of("w0", "x", "w1", "y"));
      assertThat(impl.pendingRepairs()).as("repairs queued by 1 002 writes of 10 keys").isEqualTo(10);

      redis.restart();
      await().atMost(Duration.ofSeconds(15)).until(() -> {
        impl.repair();
        return impl.pendingRepairs() == 0;
      });
      // each key's repair is a tombstone: the next read loads
      try (redis.clients.jedis.Jedis fresh = new redis.clients.jedis.Jedis(redis.host(), redis.port())) {
        assertThat(fresh.get((name + ":w3").getBytes(UTF_8))).isNotNull();
      }
      assertThat(cache.get("w3", k -> "reloaded")).isIn("reloaded", "v98");
    }
  }
}
