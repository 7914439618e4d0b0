package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The invalidation bus over Lettuce: SUBSCRIBE on a standalone Redis, SSUBSCRIBE through Lettuce's
 * cluster pub/sub on the shared Cluster; the same messages, heartbeats and "clear L1 on a lost
 * subscription" as over Jedis.
 */
class LettuceInvalidationBusIT {

  private static TieredCacheBuilder<String, String> builder(String name, SimpleMeterRegistry registry) {
    return TieredCache.builder().name(name).keyCodec(Codec.utf8()).valueCodec(Codec.utf8())
        .l1Ttl(Duration.ofMinutes(10)).invalidationHeartbeat(Duration.ofMillis(100))
        .telemetry(Telemetry.of(registry));
  }

  private static double clears(SimpleMeterRegistry registry) {
    return registry.get("scaleblocks.cache.l1.clears").functionCounter().count();
  }

  @Test
  void aKilledAndRestartedRedisClearsL1OnceAndTheSubscriberRecovers() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (ThrowawayRedis redis = ThrowawayRedis.start()) {
      RedisClient client = LettuceClients.standalone(redis.host(), redis.port());
      try (TieredCache<String, String> cache = builder("bus-" + UUID.randomUUID(), registry)
          .lettuce(client).l2Timeout(Duration.ofMillis(200)).build()) {
        DefaultTieredCache<String, String> impl = (DefaultTieredCache<String, String>) cache;
        await().atMost(Duration.ofSeconds(5)).until(impl::invalidationConnected);
        cache.get("x", k -> "before");
        double before = clears(registry);

        long killedAt = System.nanoTime();
        redis.kill();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
            .until(() -> !impl.invalidationConnected());
        long noticedMillis = (System.nanoTime() - killedAt) / 1_000_000;
        assertThat(impl.peekL1("x")).as("L1 cleared on the lost subscription").isNull();
        cache.get("y", k -> "during"); // L1 and the loader serve while Redis is gone
        Thread.sleep(1_000);
        assertThat(clears(registry) - before).as("cleared once while Redis is down").isEqualTo(1);
        assertThat(impl.peekL1("y")).as("not cleared again while down").isEqualTo("during");

        long restartAt = System.nanoTime();
        redis.restart();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(5))
            .until(impl::invalidationConnected);
        long recoveredMillis = (System.nanoTime() - restartAt) / 1_000_000;
        System.out.printf("lettuce bus: loss noticed after %d ms, resubscribed %d ms after the restart%n",
            noticedMillis, recoveredMillis);
        assertThat(clears(registry) - before).as("and once more on resubscription").isEqualTo(2);

        // the recovered subscription carries invalidations again
        String name = cache.name();
        try (TieredCache<String, String> other = builder(name, new SimpleMeterRegistry()).lettuce(client).build()) {
          await().atMost(Duration.ofSeconds(5)).until(((DefaultTieredCache<String, String>) other)::invalidationConnected);
          cache.get("z", k -> "old");
          other.put("z", "new");
          // (the value itself may still be on its way to Redis: the breaker opened during the
          // outage and may not have let a call through yet; the invalidation reached L1 already)
          await().atMost(Duration.ofSeconds(5)).until(() -> impl.peekL1("z") == null);
        }
      } finally {
        LettuceClients.shutdown(client);
      }
    }
  }

  @Test
  void onTheClusterInvalidationsTravelBySharedPubSubAndADroppedSubscriptionComesBack() throws Exception {
    RedisClusterClient client = LettuceClients.cluster();
    String name = "bus-cluster-" + UUID.randomUUID();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (TieredCache<String, String> a = builder(name, new SimpleMeterRegistry()).lettuce(client).build();
        TieredCache<String, String> b = builder(name, registry).lettuce(client).build()) {
      DefaultTieredCache<String, String> bImpl = (DefaultTieredCache<String, String>) b;
      await().atMost(Duration.ofSeconds(5)).until(bImpl::invalidationConnected);
      await().atMost(Duration.ofSeconds(5)).until(((DefaultTieredCache<String, String>) a)::invalidationConnected);
      assertThat(b.get("k", k -> "v1")).isEqualTo("v1");
      a.put("k", "v2");
      await().atMost(Duration.ofSeconds(5)).until(() -> bImpl.peekL1("k") == null);
      assertThat(b.get("k", k -> "loaded")).isEqualTo("v2");

      double before = clears(registry);
      bImpl.dropInvalidationSubscription();
      await().atMost(Duration.ofSeconds(5)).until(() -> clears(registry) - before >= 2);
      await().atMost(Duration.ofSeconds(5)).until(bImpl::invalidationConnected);
      assertThat(b.get("k2", k -> "v1")).isEqualTo("v1");
      a.invalidate("k2");
      await().atMost(Duration.ofSeconds(5)).until(() -> bImpl.peekL1("k2") == null);
    } finally {
      shutdown(client);
    }
  }

  private static void shutdown(AbstractRedisClient client) {
    LettuceClients.shutdown(client);
  }
}
