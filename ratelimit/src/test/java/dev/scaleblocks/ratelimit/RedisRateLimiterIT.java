package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.UnifiedJedis;

/** The contract on the real standalone Redis (fake time through the script's clock argument). */
class RedisRateLimiterIT extends RateLimiterContract {

  private static UnifiedJedis jedis;
  /** One registry per limiter: a test may hold several limiters of one policy name at once. */
  private final List<SimpleMeterRegistry> registries = new ArrayList<>();

  @BeforeAll
  static void connect() {
    jedis = RedisClients.standalone();
  }

  @AfterAll
  static void close() {
    jedis.close();
  }

  protected UnifiedJedis client() {
    return jedis;
  }

  /** The Redis store on this test's client (Lettuce subclasses pass theirs). */
  protected RateLimiterBuilder redisStore(RateLimiterBuilder builder) {
    return builder.redis(client());
  }

  @Override
  protected RateLimiterBuilder store(RateLimiterBuilder builder) {
    return redisStore(builder)
        .keyPrefix("scaleblocks:test:rl:" + UUID.randomUUID() + ":")
        .redisClock(ticker)
        .failurePolicy(FailurePolicy.FAIL_CLOSED)
        .storeTimeout(Duration.ofSeconds(5))
        .telemetry(Telemetry.of(newRegistry()));
  }

  @AfterEach
  void everyDecisionCameFromRedis() {
    for (SimpleMeterRegistry registry : registries) {
      assertThat(registry.find("scaleblocks.ratelimit.fallbacks").counters())
          .allSatisfy(c -> assertThat(c.count()).as("fallback decisions").isZero());
      assertThat(registry.find("scaleblocks.ratelimit.overloaded").counters())
          .allSatisfy(c -> assertThat(c.count()).as("overload decisions").isZero());
    }
  }

  private SimpleMeterRegistry newRegistry() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    registries.add(registry);
    return registry;
  }
}
