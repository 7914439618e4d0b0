package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Allowed, rejected, near-limit and shadow counters per policy; a limiter's meters are its own:
 * registered when built, removed on close, and a second limiter of the same name on the same
 * registry is refused while the first is open.
 */
class MetricsTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private double count(String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  @Test
  void countsDecisionsAndNearLimit() {
    RateLimitPolicy policy = RateLimitPolicy.builder("m").limit(10, Duration.ofSeconds(1))
        .algorithm(Algorithm.FIXED_WINDOW).build();
    RateLimiter limiter = RateLimiter.builder(policy).local().ticker(new FakeTicker())
        .telemetry(Telemetry.of(registry)).build();
    for (int i = 0; i < 13; i++) {
      limiter.tryAcquire("k");
    }
    assertThat(count("scaleblocks.ratelimit.decisions", "policy", "m", "result", "allowed")).isEqualTo(10);
    assertThat(count("scaleblocks.ratelimit.decisions", "policy", "m", "result", "rejected")).isEqualTo(3);
    // remaining 2, 1, 0 of 10: 80 % or more used
    assertThat(count("scaleblocks.ratelimit.near_limit", "policy", "m")).isEqualTo(3);
    assertThat(count("scaleblocks.ratelimit.decisions", "policy", "m", "result", "shadow_rejected")).isZero();
  }

  @Test
  void countsRefundsThatGaveBackAndThoseTooLate() {
    FakeTicker ticker = new FakeTicker();
    RateLimitPolicy policy = RateLimitPolicy.builder("r").limit(10, Duration.ofSeconds(1))
        .algorithm(Algorithm.FIXED_WINDOW).build();
    RateLimiter limiter = RateLimiter.builder(policy).local().ticker(ticker)
        .telemetry(Telemetry.of(registry)).build();
    Decision a = limiter.tryAcquire("k");
    Decision b = limiter.tryAcquire("k");
    assertThat(limiter.refund(a)).isTrue();
    assertThat(limiter.refund(a)).isFalse(); // not counted: nothing claimed
    ticker.advance(Duration.ofSeconds(1));
    assertThat(limiter.refund(b)).isFalse();
    assertThat(count("scaleblocks.ratelimit.refunds", "policy", "r", "result", "returned")).isEqualTo(1);
    assertThat(count("scaleblocks.ratelimit.refunds", "policy", "r", "result", "expired")).isEqualTo(1);
  }

  @Test
  void shadowModeCountsWhatItWouldHaveRejected() {
    RateLimitPolicy policy = RateLimitPolicy.builder("s").limit(2, Duration.ofSeconds(1)).build();
    RateLimiter limiter = RateLimiter.builder(policy).local().ticker(new FakeTicker()).shadowMode()
        .telemetry(Telemetry.of(registry)).build();
    for (int i = 0; i < 5; i++) {
      assertThat(limiter.tryAcquire("k").allowed()).isTrue();
    }
    assertThat(count("scaleblocks.ratelimit.decisions", "policy", "s", "result", "allowed")).isEqualTo(2);
    assertThat(count("scaleblocks.ratelimit.decisions", "policy", "s", "result", "shadow_rejected")).isEqualTo(3);
    assertThat(count("scaleblocks.ratelimit.decisions", "policy", "s", "result", "rejected")).isZero();
  }

  @Test
  void allowCountsAsTryAcquireDoes() {
    for (Algorithm algorithm : Algorithm.values()) {
      String name = "a-" + algorithm.name().toLowerCase(java.util.Locale.ROOT);
      RateLimitPolicy policy = RateLimitPolicy.builder(name).limit(10, Duration.ofSeconds(1))
          .algorithm(algorithm).build();
      RateLimiter limiter = RateLimiter.builder(policy).local().ticker(new FakeTicker())
          .telemetry(Telemetry.of(registry)).build();
      int admitted = 0;
      for (int i = 0; i < 13; i++) {
        admitted += limiter.allow("k") ? 1 : 0;
      }
      assertThat(admitted).as(name).isEqualTo(10);
      assertThat(count("scaleblocks.ratelimit.decisions", "policy", name, "result", "allowed")).isEqualTo(10);
      assertThat(count("scaleblocks.ratelimit.decisions", "policy", name, "result", "rejected")).isEqualTo(3);
      assertThat(count("scaleblocks.ratelimit.near_limit", "policy", name)).as(name).isEqualTo(3);
      limiter.close();
    }
  }

  @Test
  void allowInShadowModeAdmitsAndCounts() {
    RateLimitPolicy policy = RateLimitPolicy.builder("sa").limit(2, Duration.ofSeconds(1))
        .limit(5, Duration.ofMinutes(1)).build();
    RateLimiter limiter = RateLimiter.builder(policy).local().ticker(new FakeTicker()).shadowMode()
        .telemetry(Telemetry.of(registry)).build();
    for (int i = 0; i < 5; i++) {
      assertThat(limiter.allow("k")).isTrue();
    }
    assertThat(count("scaleblocks.ratelimit.decisions", "policy", "sa", "result", "allowed")).isEqualTo(2);
    assertThat(count("scaleblocks.ratelimit.decisions", "policy", "sa", "result", "shadow_rejected")).isEqualTo(3);
  }

  private List<String> metersOf(String policy) {
    return registry.getMeters().stream()
        .filter(m -> policy.equals(m.getId().getTag("policy"))
            || ("ratelimit-" + policy).equals(m.getId().getTag("name")))
        .map(Meter::getId).map(id -> id.getName() + id.getTags()).toList();
  }

  @Test
  void metersAreRegisteredAtBuildAndRemovedOnClose() {
    RateLimitPolicy policy = RateLimitPolicy.builder("owned").limit(10, Duration.ofSeconds(1)).build();
    RateLimiter local = RateLimiter.builder(policy).local().telemetry(Telemetry.of(registry)).build();
    assertThat(metersOf("owned")).as("registered at build, before any decision")
        .anyMatch(m -> m.startsWith("scaleblocks.ratelimit.decisions"))
        .anyMatch(m -> m.startsWith("scaleblocks.ratelimit.keys"));
    local.close();
    assertThat(metersOf("owned")).isEmpty();
    local.close(); // idempotent

    // a Redis limiter (no I/O at build or close) owns its meters and the breaker it built
    try (UnifiedJedis nowhere = RedisClient.create("127.0.0.1", 1)) {
      RateLimiter remote = RateLimiter.builder(policy).redis(nowhere)
          .telemetry(Telemetry.of(registry)).build();
      assertThat(metersOf("owned"))
          .anyMatch(m -> m.startsWith("scaleblocks.ratelimit.fallbacks"))
          .anyMatch(m -> m.startsWith("scaleblocks.ratelimit.overloaded"))
          .anyMatch(m -> m.startsWith("scaleblocks.breaker.state"));
      remote.close();
      assertThat(metersOf("owned")).isEmpty();
    }
  }

  @Test
  void aSecondLimiterOfTheSameNameOnTheSameRegistryIsRefusedWhileTheFirstIsOpen() {
    RateLimitPolicy policy = RateLimitPolicy.builder("twice").limit(10, Duration.ofSeconds(1)).build();
    RateLimiter first = RateLimiter.builder(policy).local().telemetry(Telemetry.of(registry)).build();
    assertThatThrownBy(() -> RateLimiter.builder(policy).local().telemetry(Telemetry.of(registry))
        .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("rate limiter named 'twice' is already registered on this meter registry; "
            + "close it first or choose another name");
    // another registry, or no telemetry at all, is fine
    RateLimiter.builder(policy).local().telemetry(Telemetry.of(new SimpleMeterRegistry())).build()
        .close();
    RateLimiter.builder(policy).local().build().close();
    RateLimiter.builder(policy).local().build().close();
    first.tryAcquire("k");
    first.close();
    try (RateLimiter again = RateLimiter.builder(policy).local().telemetry(Telemetry.of(registry))
        .build()) {
      again.tryAcquire("k");
      assertThat(count("scaleblocks.ratelimit.decisions", "policy", "twice", "result", "allowed"))
          .as("a fresh meter, not the closed limiter's").isEqualTo(1);
    }
  }
}
