package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.TcpProxy;
import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/**
 * Invalidations lost on the way (a silently dead subscription, a failed publish, a Redis restart)
 * never leave an instance serving a stale L1 value once it hears from Redis again.
 */
class LostInvalidationIT {

  private static TieredCache<String, String> build(String name, RedisClient client, SimpleMeterRegistry registry) {
    CircuitBreaker breaker = CircuitBreaker.builder("cache." + name + "-" + UUID.randomUUID())
        .slidingWindowSize(10).minimumNumberOfCalls(4).permittedCallsInHalfOpenState(1)
        .waitDurationInOpenState(Duration.ofMillis(300)).telemetry(Telemetry.of(registry)).build();
    return TieredCache.builder()
        .name(name)
        .keyCodec(Codec.utf8())
        .valueCodec(Codec.utf8())
        .redis(client)
        .l1Ttl(Duration.ofMinutes(10))
        .invalidationHeartbeat(Duration.ofMillis(200))
        .circuitBreaker(breaker)
        .telemetry(Telemetry.of(registry))
        .build();
  }

  private static double count(SimpleMeterRegistry registry, String name, String... tags) {
    return registry.get(name).tags(tags).functionCounter().count();
  }

  @Test
  void aSilentlyDeadSubscriptionIsDetectedAndNoStaleValueIsReadAfterReconnect() throws Exception {
    String name = "lost-sub-" + UUID.randomUUID();
    InetSocketAddress real = TestServices.redis();
    SimpleMeterRegistry registryB = new SimpleMeterRegistry();
    try (TcpProxy proxyB = TcpProxy.start(real.getHostString(), real.getPort());
        RedisClient clientA = RedisClients.standalone();
        RedisClient clientB = RedisClients.standalone(proxyB.host(), proxyB.port());
        TieredCache<String, String> a = build(name, clientA, new SimpleMeterRegistry());
        TieredCache<String, String> b = build(name, clientB, registryB)) {
      DefaultTieredCache<String, String> bImpl = (DefaultTieredCache<String, String>) b;
      Map<String, String> source = new ConcurrentHashMap<>();
      source.put("k", "v1");
      a.put("k", "v1");
      await().atMost(Duration.ofSeconds(5))
          .until(() -> "v1".equals(b.get("k", source::get)) && "v1".equals(bImpl.peekL1("k")));

      proxyB.blackhole(true); // B's connections stay open but nothing moves: messages to B are lost
      source.put("k", "v2");
      a.put("k", "v2");
      // B notices its own heartbeats stopped and drops its L1 within a few heartbeats
      long start = System.nanoTime();
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
          .until(() -> bImpl.peekL1("k") == null);
      long detectedMillis = (System.nanoTime() - start) / 1_000_000;
      org.slf4j.LoggerFactory.getLogger(LostInvalidationIT.class)
          .info("silently dead subscription: stale L1 entry dropped after {} ms", detectedMillis);
      // meanwhile B still serves: L2 unreachable, so its loader answers
      assertThat(b.get("k", source::get)).isEqualTo("v2");

      proxyB.blackhole(false);
      proxyB.cutConnections();
      await().atMost(Duration.ofSeconds(10)).until(bImpl::invalidationConnected);
      source.put("k", "v3");
      a.put("k", "v3");
      await().atMost(Duration.ofSeconds(5)).until(() -> "v3".equals(b.get("k", source::get)));
      for (int i = 0; i < 100; i++) {
        assertThat(b.get("k", source::get)).isEqualTo("v3");
      }
      assertThat(count(registryB, "scaleblocks.cache.l1.clears")).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void aPublishThatFailedIsSeenAsASequenceGapAndTheWriteIsRepaired() throws Exception {
    String name = "lost-pub-" + UUID.randomUUID();
    InetSocketAddress real = TestServices.redis();
    SimpleMeterRegistry registryA = new SimpleMeterRegistry();
    SimpleMeterRegistry registryB = new SimpleMeterRegistry();
    try (TcpProxy proxyA = TcpProxy.start(real.getHostString(), real.getPort());
        RedisClient clientA = RedisClients.standalone(proxyA.host(), proxyA.port());
        RedisClient clientB = RedisClients.standalone();
        TieredCache<String, String> a = build(name, clientA, registryA);
        TieredCache<String, String> b = build(name, clientB, registryB)) {
      DefaultTieredCache<String, String> aImpl = (DefaultTieredCache<String, String>) a;
      DefaultTieredCache<String, String> bImpl = (DefaultTieredCache<String, String>) b;
      a.put("k", "v1");
      await().atMost(Duration.ofSeconds(5))
          .until(() -> "v1".equals(b.get("k", k -> "loaded")) && "v1".equals(bImpl.peekL1("k")));

      proxyA.blackhole(true);
      proxyA.cutConnections();
      a.put("k", "v2"); // neither the L2 write nor the message gets out
      assertThat(aImpl.pendingRepairs()).isEqualTo(1);
      // wait until A's publisher has tried (and failed) to send the invalidation
      await().atMost(Duration.ofSeconds(5))
          .until(() -> count(registryA, "scaleblocks.cache.invalidations", "direction", "unsent") > 0);
      assertThat(bImpl.peekL1("k")).isEqualTo("v1");
      proxyA.blackhole(false);

      // A's next heartbeat shows B the gap; A's repair replaces the old L2 value with a tombstone
      await().atMost(Duration.ofSeconds(10)).until(() -> aImpl.pendingRepairs() == 0);
      await().atMost(Duration.ofSeconds(5)).until(() -> bImpl.peekL1("k") == null);
      assertThat(b.get("k", k -> "v2-from-source")).isEqualTo("v2-from-source");
      assertThat(count(registryB, "scaleblocks.cache.invalidations", "direction", "lost")).isPositive();
    }
  }

  @Test
  void aRedisRestartDuringWritesLeavesNoStaleL1Value() throws Exception {
    String name = "restart-" + UUID.randomUUID();
    Map<String, String> source = new ConcurrentHashMap<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        RedisClient clientA = RedisClients.standalone(redis.host(), redis.port());
        RedisClient clientB = RedisClients.standalone(redis.host(), redis.port());
        TieredCache<String, String> a = build(name, clientA, new SimpleMeterRegistry());
        TieredCache<String, String> b = build(name, clientB, new SimpleMeterRegistry())) {
      DefaultTieredCache<String, String> aImpl = (DefaultTieredCache<String, String>) a;
      DefaultTieredCache<String, String> bImpl = (DefaultTieredCache<String, String>) b;
      for (int i = 0; i < 20; i++) {
        source.put("k" + i, "v0");
      }
      AtomicBoolean stop = new AtomicBoolean();
      Thread writer = new Thread(() -> {
        int n = 0;
        while (!stop.get()) {
          String key = "k" + ThreadLocalRandom.current().nextInt(20);
          String value = "v" + (++n);
          try {
            source.put(key, value);
            a.put(key, value);
            Thread.sleep(2);
          } catch (Throwable e) {
            errors.add(e);
          }
        }
      });
      Thread reader = new Thread(() -> {
        while (!stop.get()) {
          try {
            b.get("k" + ThreadLocalRandom.current().nextInt(20), source::get);
          } catch (Throwable e) {
            errors.add(e);
          }
        }
      });
      writer.start();
      reader.start();
      Thread.sleep(500);
      redis.kill();
      Thread.sleep(700);
      redis.restart();
      Thread.sleep(1_500);
      stop.set(true);
      writer.join();
      reader.join();

      await().atMost(Duration.ofSeconds(15)).until(() -> aImpl.pendingRepairs() == 0
          && aImpl.invalidationConnected() && bImpl.invalidationConnected());
      Thread.sleep(1_000); // let the last messages and heartbeats arrive
      for (Map.Entry<String, String> e : source.entrySet()) {
        assertThat(b.get(e.getKey(), source::get)).as("B's value of %s", e.getKey()).isEqualTo(e.getValue());
        assertThat(a.get(e.getKey(), source::get)).as("A's value of %s", e.getKey()).isEqualTo(e.getValue());
      }
      assertThat(errors).as("exceptions seen by callers").isEmpty();
    }
  }
}
