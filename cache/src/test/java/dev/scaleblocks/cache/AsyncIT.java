package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** The async forms never hold the calling thread on Redis, even when Redis hangs. */
class AsyncIT {

  @Test
  void aHangingRedisNeverBlocksTheCallerAndASaturatedExecutorSkipsRedis() throws Exception {
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        RedisClient client = RedisClients.standalone(redis.host(), redis.port());
        TieredCache<String, String> cache = TieredCache.builder()
            .name("async-" + UUID.randomUUID())
            .keyCodec(Codec.utf8())
            .valueCodec(Codec.utf8())
            .redis(client)
            .asyncThreads(1, 1)
            .build()) {
      cache.put("hot", "in-l1");
      redis.pause();
      try {
        List<CompletableFuture<String>> futures = new ArrayList<>();
        long start = System.nanoTime();
        futures.add(cache.getAsync("hot", k -> "loaded"));        // L1 hit: completed at once
        for (int i = 0; i < 10; i++) {                            // 1 running, 1 queued, 8 rejected
          futures.add(cache.getAsync("cold-" + i, k -> "loaded-" + k));
        }
        long callerMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // the Redis socket timeout is 300 ms: a caller blocked on Redis would take at least that
        assertThat(callerMillis).as("ms the calling thread spent issuing 11 async gets").isLessThan(250);
        assertThat(futures.get(0)).isCompletedWithValue("in-l1");
        assertThat(futures.stream().filter(CompletableFuture::isDone).count())
            .as("rejected misses completed on the caller without Redis").isGreaterThanOrEqualTo(8);
        for (int i = 0; i < 10; i++) {
          assertThat(futures.get(i + 1).get(5, TimeUnit.SECONDS)).isEqualTo("loaded-cold-" + i);
        }
      } finally {
        redis.resume();
      }
    }
  }

  @Test
  void overJedisTheAsyncWritesAndGetAllRunOnTheCachesExecutor() throws Exception {
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        RedisClient client = RedisClients.standalone(redis.host(), redis.port());
        TieredCache<String, String> cache = TieredCache.builder()
            .name("async-" + UUID.randomUUID())
            .keyCodec(Codec.utf8())
            .valueCodec(Codec.utf8())
            .redis(client)
            .build()) {
      DefaultTieredCache<String, String> impl = (DefaultTieredCache<String, String>) cache;
      long before = impl.executorTasks();
      cache.putAsync("k", "v").get(5, TimeUnit.SECONDS);
      assertThat(cache.getAllAsync(List.of("k"), keys -> java.util.Map.of()).get(5, TimeUnit.SECONDS))
          .containsEntry("k", "v");
      cache.invalidateAsync("k").get(5, TimeUnit.SECONDS);
      assertThat(cache.getIfPresent("k")).isNull();
      // Jedis blocks: each of the three ran on the executor, not on the caller
      assertThat(impl.executorTasks() - before).isEqualTo(3);
    }
  }
}
