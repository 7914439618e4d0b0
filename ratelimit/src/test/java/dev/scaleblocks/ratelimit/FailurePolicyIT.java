package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Fail open, fail closed and local fallback against a throw-away redis-server that is killed or
 * paused, through Jedis and through Lettuce: every decision arrives within the store timeout (plus
 * a generous margin), the store's bounded queue (Lettuce: the bound on calls in flight) never lets
 * work pile up, and each switch is counted.
 */
class FailurePolicyIT {

  private static final Duration TIMEOUT = Duration.ofMillis(200);
  private static final long MARGIN_MILLIS = 800;

  private ThrowawayRedis redis;
  private UnifiedJedis client;
  private io.lettuce.core.@Nullable RedisClient lettuce;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @BeforeEach
  void start() {
    redis = ThrowawayRedis.start();
    client = RedisClient.builder().hostAndPort(redis.host(), redis.port())
        .clientConfig(DefaultJedisClientConfig.builder()
            .socketTimeoutMillis(2000).connectionTimeoutMillis(500).build())
        .build();
  }

  @AfterEach
  void stop() {
    client.close();
    if (lettuce != null) {
      lettuce.shutdown(0, 2, TimeUnit.SECONDS);
    }
    redis.close();
  }

  static Stream<Arguments> policiesAndClients() {
    return Stream.of(FailurePolicy.values()).flatMap(p ->
        Stream.of(RedisClients.Kind.values()).map(k -> Arguments.of(p, k)));
  }

  private RateLimiterBuilder limiter(FailurePolicy failurePolicy, RedisClients.Kind kind) {
    RateLimitPolicy policy = RateLimitPolicy.builder("fail-" + failurePolicy)
        .algorithm(Algorithm.FIXED_WINDOW).limit(10, Duration.ofMinutes(1)).build();
    RateLimiterBuilder b = RateLimiter.builder(policy);
    if (kind == RedisClients.Kind.LETTUCE) {
      lettuce = io.lettuce.core.RedisClient.create(io.lettuce.core.RedisURI.builder()
          .withHost(redis.host()).withPort(redis.port()).withTimeout(Duration.ofSeconds(2)).build());
      b.lettuce(lettuce);
    } else if (kind == RedisClients.Kind.COALESCING_JEDIS) {
      b.redis(client).coalesceRedisCalls();
    } else {
      b.redis(client);
    }
    b.storeTimeout(TIMEOUT)
        .telemetry(Telemetry.of(registry))
        .circuitBreaker(CircuitBreaker.builder("redis-" + failurePolicy)
            .minimumNumberOfCalls(4).slidingWindowSize(4)
            .waitDurationInOpenState(Duration.ofMillis(300)).permittedCallsInHalfOpenState(1)
            .telemetry(Telemetry.of(registry)).build());
    return failurePolicy == FailurePolicy.LOCAL_FALLBACK
        ? b.localFallback(2) : b.failurePolicy(failurePolicy);
  }

  private double counter(String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  private static Decision timed(RateLimiter limiter, String key) {
    long start = System.nanoTime();
    Decision d = limiter.tryAcquire(key);
    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(took).as("decided within the timeout").isLessThan(TIMEOUT.toMillis() + MARGIN_MILLIS);
    return d;
  }

  @ParameterizedTest(name = "{0} through {1}")
  @MethodSource("policiesAndClients")
  void killedRedis(FailurePolicy failurePolicy, RedisClients.Kind kind) {
    String mode = failurePolicy.name().toLowerCase(java.util.Locale.ROOT);
    try (RateLimiter limiter = limiter(failurePolicy, kind).build()) {
      assertThat(limiter.tryAcquire("k").allowed()).isTrue();
      assertThat(counter("scaleblocks.ratelimit.fallbacks", "mode", mode)).isZero();

      redis.kill();
      List<Decision> decisions = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        decisions.add(timed(limiter, "k"));
      }
      long allowed = decisions.stream().filter(Decision::allowed).count();
      switch (failurePolicy) {
        case FAIL_OPEN -> assertThat(allowed).isEqualTo(12);
        case FAIL_CLOSED -> {
          assertThat(allowed).isZero();
          assertThat(decisions).allSatisfy(d -> assertThat(d.retryAfter()).isEqualTo(Duration.ofSeconds(1)));
        }
        case LOCAL_FALLBACK -> {
          assertThat(allowed).as("quota 10 shared by 2 instances").isEqualTo(5);
          assertThat(decisions.get(11).limit()).isEqualTo(5);
        }
      }
      assertThat(counter("scaleblocks.ratelimit.fallbacks", "mode", mode)).isEqualTo(12);
      assertThat(counter("scaleblocks.ratelimit.store.switches", "to", mode)).isEqualTo(1);
      assertThat(counter("scaleblocks.breaker.transitions", "from", "closed", "to", "open")).isEqualTo(1);

      redis.restart();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        timed(limiter, "k");
        assertThat(counter("scaleblocks.ratelimit.store.switches", "to", "store")).isEqualTo(1);
      });
      // the restarted server is empty: the key starts over, in Redis
      assertThat(limiter.tryAcquire("other").remaining()).isEqualTo(9);
    }
  }

  @ParameterizedTest
  @EnumSource(RedisClients.Kind.class)
  void pausedRedisAnswersWithinTheTimeoutAndQueuesStayBounded(RedisClients.Kind kind)
      throws Exception {
    try (RateLimiter limiter = limiter(FailurePolicy.FAIL_CLOSED, kind).storeThreads(2)
        .storeQueueCapacity(8).build()) {
      assertThat(limiter.tryAcquire("k").allowed()).isTrue();
      redis.pause();
      try {
        Decision d = timed(limiter, "k");
        assertThat(d.allowed()).isFalse();

        long start = System.nanoTime();
        List<CompletableFuture<Decision>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          futures.add(limiter.tryAcquireAsync("k", 1));
        }
        long submitMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(submitMillis).as("the calling thread never waits on Redis").isLessThan(MARGIN_MILLIS);
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
            .get(TIMEOUT.toMillis() + MARGIN_MILLIS, TimeUnit.MILLISECONDS);
        assertThat(futures).allSatisfy(f -> assertThat(f.join().allowed()).isFalse());
        assertThat(counter("scaleblocks.ratelimit.fallbacks", "mode", "fail_closed")).isEqualTo(201);
      } finally {
        redis.resume();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(RedisClients.Kind.class)
  void aLimiterBuiltWhileRedisIsDownDecidesByItsPolicyUntilRedisComesUp(RedisClients.Kind kind) {
    redis.kill();
    try (RateLimiter limiter = limiter(FailurePolicy.FAIL_CLOSED, kind).build()) {
      for (int i = 0; i < 6; i++) {
        assertThat(timed(limiter, "k").allowed()).as("FAIL_CLOSED while Redis is away").isFalse();
      }
      redis.restart();
      long start = System.nanoTime();
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
          .untilAsserted(() -> assertThat(timed(limiter, "k").allowed()).isTrue());
      System.out.printf("%s: deciding in Redis %d ms after it came up%n", kind,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      assertThat(limiter.tryAcquire("k").remaining()).as("counted in Redis").isEqualTo(8);
    }
  }
}
