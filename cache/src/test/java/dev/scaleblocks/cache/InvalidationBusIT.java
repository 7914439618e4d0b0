package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientType;
import redis.clients.jedis.params.ClientKillParams;
import redis.clients.jedis.RedisClient;

/** The invalidation subscription: its own connection, prompt reconnects, publisher restarts noticed. */
class InvalidationBusIT {

  private static TieredCacheBuilder<String, String> builder(String name, RedisClient client) {
    return TieredCache.builder().name(name).keyCodec(Codec.utf8()).valueCodec(Codec.utf8()).redis(client)
        .l1Ttl(Duration.ofMinutes(10)).invalidationHeartbeat(Duration.ofMillis(100));
  }

  @Test
  void theSubscriberHoldsNoPooledConnectionAndReconnectsPromptlyAfterManyKills() throws Exception {
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        RedisClient client = RedisClients.standalone(redis.host(), redis.port());
        Jedis admin = new Jedis(redis.host(), redis.port());
        TieredCache<String, String> cache = builder("bus-" + UUID.randomUUID(), client).build()) {
      DefaultTieredCache<String, String> impl = (DefaultTieredCache<String, String>) cache;
      await().atMost(Duration.ofSeconds(5)).until(impl::invalidationConnected);
      // a heartbeat's PUBLISH borrows a pooled connection for a moment; a subscription would hold
      // one all the time: the fewest seen over a few samples is what the subscriber holds
      int fewest = Integer.MAX_VALUE;
      for (int i = 0; i < 20; i++) {
        fewest = Math.min(fewest, client.getPool().getNumActive());
        Thread.sleep(10);
      }
      assertThat(fewest).as("pooled connections held while subscribed").isZero();

      List<Long> gaps = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        long start = System.nanoTime();
        admin.clientKill(ClientKillParams.clientKillParams().type(ClientType.PUBSUB));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(2)).until(() -> !impl.invalidationConnected());
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2)).until(impl::invalidationConnected);
        gaps.add((System.nanoTime() - start) / 1_000_000);
        Thread.sleep(150); // a healthy subscription for a moment
      }
      LoggerFactory.getLogger(InvalidationBusIT.class).info("reconnect gaps after CLIENT KILL (ms): {}", gaps);
      // backoff starts at 50 ms and doubles to 2 s while reconnecting fails; after a healthy subscription it starts again
      assertThat(gaps.subList(6, gaps.size())).allSatisfy(g -> assertThat(g).isLessThan(1_000));
    }
  }

  @Test
  void aRestartedPublisherWithTheSameInstanceIdIsRecognisedAsAGap() throws Exception {
    String name = "bus-restart-" + UUID.randomUUID();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        RedisClient client = RedisClients.standalone(redis.host(), redis.port());
        TieredCache<String, String> b = builder(name, client).telemetry(Telemetry.of(registry)).build()) {
      DefaultTieredCache<String, String> bImpl = (DefaultTieredCache<String, String>) b;
      TieredCache<String, String> a = builder(name, client).instanceId("api-1").build();
      for (int i = 0; i < 20; i++) {
        a.put("a" + i, "v"); // a's sequence climbs to 20
      }
      b.get("x", k -> "cached-on-b");
      Thread.sleep(500); // b has heard a's heartbeats
      assertThat(bImpl.peekL1("x")).isEqualTo("cached-on-b");
      a.close();
      // a restarts with the same configured id and its sequence starts again at 0; whatever it
      // published before b heard from it may be lost, so b must drop its L1
      TieredCache<String, String> restarted = builder(name, client).instanceId("api-1").build();
      try {
        await().atMost(Duration.ofSeconds(5)).until(() -> bImpl.peekL1("x") == null);
      } finally {
        restarted.close();
      }
      assertThat(registry.get("scaleblocks.cache.invalidations").tag("direction", "lost").functionCounter().count())
          .isPositive();
    }
  }
}
