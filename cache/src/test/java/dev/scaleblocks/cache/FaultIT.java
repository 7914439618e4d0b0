package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.TcpProxy;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisClient;

/** Redis killed, paused or slow under load: callers see no exception, the breaker opens and closes. */
class FaultIT {

  private static final Logger log = LoggerFactory.getLogger(FaultIT.class);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<CircuitBreaker.Transition> transitions = new CopyOnWriteArrayList<>();

  private CircuitBreaker breaker(Duration open, Duration slowCall) {
    CircuitBreaker b = CircuitBreaker.builder("cache.fault-" + UUID.randomUUID())
        .slidingWindowSize(10)
        .minimumNumberOfCalls(4)
        .permittedCallsInHalfOpenState(2)
        .waitDurationInOpenState(open)
        .slowCallDuration(slowCall)
        .slowCallRateThreshold(50)
        .telemetry(Telemetry.of(registry))
        .build();
    b.onStateTransition(transitions::add);
    return b;
  }

  private TieredCache<String, String> cache(RedisClient client, CircuitBreaker breaker) {
    return TieredCache.builder()
        .name("fault-" + UUID.randomUUID())
        .keyCodec(Codec.utf8())
        .valueCodec(Codec.utf8())
        .redis(client)
        .l1Ttl(Duration.ofMillis(200))
        .circuitBreaker(breaker)
        .invalidationHeartbeat(Duration.ofMillis(200))
        .telemetry(Telemetry.of(registry))
        .build();
  }

  @Test
  void killedRedisMidLoadOpensTheBreakerFailsFastAndClosesWhenItReturns() throws Exception {
    CircuitBreaker breaker = breaker(Duration.ofSeconds(2), Duration.ofSeconds(1));
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        RedisClient client = RedisClients.standalone(redis.host(), redis.port());
        TieredCache<String, String> cache = cache(client, breaker)) {
      Workers workers = new Workers(cache, 4, 5_000);
      try {
        await().atMost(Duration.ofSeconds(10)).until(() -> workers.calls.get() > 500);
        redis.kill();
        await().atMost(Duration.ofSeconds(10)).until(() -> breaker.state() == CircuitBreaker.State.OPEN);

        // while open, an L2 call is refused without I/O
        long[] nanos = new long[1_000];
        for (int i = 0; i < nanos.length; i++) {
          long start = System.nanoTime();
          assertThat(cache.getIfPresent("cold-" + i)).isNull();
          nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        log.info("L1 miss with the breaker open: p50 {} us, p99 {} us",
            nanos[500] / 1_000, nanos[989] / 1_000);
        assertThat(nanos[500]).as("median ns of a refused L2 read").isLessThan(1_000_000);

        int loadsBefore = workers.loads.get();
        await().atMost(Duration.ofSeconds(5)).until(() -> workers.loads.get() > loadsBefore + 100);
        redis.restart();
        await().atMost(Duration.ofSeconds(20))
            .until(() -> breaker.state() == CircuitBreaker.State.CLOSED);
        long callsAfter = workers.calls.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> workers.calls.get() > callsAfter + 500);
      } finally {
        workers.close();
      }
      assertThat(workers.errors).as("exceptions seen by callers").isEmpty();
      assertThat(transitions).extracting(CircuitBreaker.Transition::to)
          .containsSubsequence(CircuitBreaker.State.OPEN, CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.CLOSED);
      assertThat(registry.get("scaleblocks.breaker.transitions").tags("from", "closed", "to", "open").counter().count())
          .isGreaterThanOrEqualTo(1);
      assertThat(registry.get("scaleblocks.cache.gets").tag("tier", "l2").tag("result", "error")
          .functionCounter().count()).isPositive();
      assertThat(registry.get("scaleblocks.cache.l2.errors").functionCounter().count()).isPositive();
      assertThat(registry.get("scaleblocks.cache.loads").tag("result", "success")
          .functionCounter().count()).isPositive();
    }
  }

  @Test
  void pausedRedisTimesOutIntoTheBreakerWithoutCallerExceptions() throws Exception {
    CircuitBreaker breaker = breaker(Duration.ofMillis(500), Duration.ofSeconds(1));
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        RedisClient client = RedisClients.standalone(redis.host(), redis.port());
        TieredCache<String, String> cache = cache(client, breaker)) {
      Workers workers = new Workers(cache, 4, 5_000);
      try {
        await().atMost(Duration.ofSeconds(10)).until(() -> workers.calls.get() > 500);
        redis.pause();
        await().atMost(Duration.ofSeconds(10)).until(() -> breaker.state() != CircuitBreaker.State.CLOSED);
        long calls = workers.calls.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> workers.calls.get() > calls + 200);
        redis.resume();
        await().atMost(Duration.ofSeconds(20))
            .until(() -> breaker.state() == CircuitBreaker.State.CLOSED
                && transitions.stream().anyMatch(t -> t.to() == CircuitBreaker.State.OPEN));
      } finally {
        workers.close();
      }
      assertThat(workers.errors).as("exceptions seen by callers").isEmpty();
    }
  }

  @Test
  void slowRedisBehindALatencyProxyOpensTheBreakerOnSlowCalls() throws Exception {
    CircuitBreaker breaker = breaker(Duration.ofMillis(500), Duration.ofMillis(50));
    java.net.InetSocketAddress real = dev.scaleblocks.core.testing.TestServices.redis();
    try (TcpProxy proxy = TcpProxy.start(real.getHostString(), real.getPort());
        RedisClient client = RedisClients.standalone(proxy.host(), proxy.port());
        TieredCache<String, String> cache = cache(client, breaker)) {
      Workers workers = new Workers(cache, 4, 5_000);
      try {
        await().atMost(Duration.ofSeconds(10)).until(() -> workers.calls.get() > 500);
        proxy.latency(Duration.ofMillis(100));
        await().atMost(Duration.ofSeconds(10)).until(() -> breaker.state() == CircuitBreaker.State.OPEN);
        long calls = workers.calls.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> workers.calls.get() > calls + 500);
        proxy.latency(Duration.ZERO);
        await().atMost(Duration.ofSeconds(20)).until(() -> breaker.state() == CircuitBreaker.State.CLOSED);
      } finally {
        workers.close();
      }
      assertThat(workers.errors).as("exceptions seen by callers").isEmpty();
      assertThat(transitions.get(0).reason()).contains("slow-call rate");
    }
  }

  /**
   * A tagged put whose L2 write timed out but reached Redis late (so it was never filed under its
   * tag) must not outlive a tag invalidation made afterwards by the same instance.
   */
  @Test
  void aTaggedPutThatTimedOutButLandedIsDroppedByTheNextTagInvalidation() {
    String name = "fault-tag-" + UUID.randomUUID();
    java.net.InetSocketAddress real = dev.scaleblocks.core.testing.TestServices.redis();
    try (TcpProxy proxy = TcpProxy.start(real.getHostString(), real.getPort());
        RedisClient slow = RedisClients.standalone(proxy.host(), proxy.port());
        RedisClient direct = RedisClients.standalone();
        // no invalidation bus: no heartbeat repairs behind the test's back
        TieredCache<String, String> a = TieredCache.builder().name(name).keyCodec(Codec.utf8())
            .valueCodec(Codec.utf8()).redis(slow).l2Timeout(Duration.ofMillis(100)).invalidation(false).build();
        TieredCache<String, String> watcher = TieredCache.builder().name(name).keyCodec(Codec.utf8())
            .valueCodec(Codec.utf8()).redis(direct).invalidation(false).l1Ttl(Duration.ofMillis(1)).build()) {
      proxy.latency(Duration.ofMillis(200)); // past the L2 timeout, within the socket timeout
      a.put("k", "v", java.util.Set.of("t"));
      proxy.latency(Duration.ZERO);
      await().atMost(Duration.ofSeconds(5)).until(() -> "v".equals(watcher.getIfPresent("k"))); // it landed
      a.invalidateByTag("t");
      try (TieredCache<String, String> fresh = TieredCache.builder().name(name).keyCodec(Codec.utf8())
          .valueCodec(Codec.utf8()).redis(direct).invalidation(false).build()) {
        assertThat(fresh.getIfPresent("k")).as("read from L2 after the tag invalidation").isNull();
      }
    }
  }
}
