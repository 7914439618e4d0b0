package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.UnifiedJedis;

/** The contract on the real standalone Redis (fake time through the script's clock argument). */
class RedisRateLimiterIT extends RateLimiterContract {

  private static UnifiedJedis jedis;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

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

  @Override
  protected RateLimiterBuilder store(RateLimiterBuilder builder) {
    return builder.redis(client())
        .keyPrefix("scaleblocks:test:rl:" + UUID.randomUUID() + ":")
        .redisClock(ticker)
        .failurePolicy(FailurePolicy.FAIL_CLOSED)
        .storeTimeout(Duration.ofSeconds(5))
        .telemetry(Telemetry.of(registry));
  }

  @AfterEach
  void everyDecisionCameFromRedis() {
    assertThat(registry.find("scaleblocks.ratelimit.fallbacks").counters())
        .allSatisfy(c -> assertThat(c.count()).as("fallback decisions").isZero());
  }
}
