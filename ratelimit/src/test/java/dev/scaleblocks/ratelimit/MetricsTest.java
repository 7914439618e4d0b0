package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Allowed, rejected, near-limit and shadow counters per policy. */
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
}
