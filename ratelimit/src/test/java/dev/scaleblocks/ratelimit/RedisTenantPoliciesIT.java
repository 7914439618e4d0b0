package dev.scaleblocks.ratelimit;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The per-tenant plans on the real standalone Redis through Jedis (fake time through the script's
 * clock argument); subclasses run them on the Cluster and through Lettuce.
 */
class RedisTenantPoliciesIT extends TenantPoliciesContract {

  private static RedisClients.Client client;

  @BeforeAll
  static void connect() {
    client = RedisClients.Kind.JEDIS.open("standalone");
  }

  @AfterAll
  static void close() {
    client.close();
  }

  /** The client the plans' limiters use. */
  protected RedisClients.Client client() {
    return client;
  }

  @Override
  protected RateLimiterBuilder store(RateLimiterBuilder builder) {
    return client().on(builder)
        .redisClock(ticker)
        .failurePolicy(FailurePolicy.FAIL_CLOSED)
        .storeTimeout(Duration.ofSeconds(5));
  }

  @AfterEach
  void everyDecisionCameFromRedis() {
    org.assertj.core.api.Assertions.assertThat(
            registry.find("scaleblocks.ratelimit.fallbacks").counters())
        .allSatisfy(c -> org.assertj.core.api.Assertions.assertThat(c.count())
            .as("fallback decisions").isZero());
  }
}
