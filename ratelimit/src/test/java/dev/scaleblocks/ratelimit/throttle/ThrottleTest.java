package dev.scaleblocks.ratelimit.throttle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.ratelimit.Algorithm;
import dev.scaleblocks.ratelimit.Decision;
import dev.scaleblocks.ratelimit.Limit;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The throttle's own rules on a local limiter; {@code RateLimiterContract} runs it on every store. */
class ThrottleTest {

  private static RateLimiter limiter(long quota, Duration period) {
    return RateLimiter.builder(RateLimitPolicy.builder("throttle-test")
        .algorithm(Algorithm.TOKEN_BUCKET).limit(Limit.of(quota, period)).build()).local().build();
  }

  @Test
  void waitersAreAdmittedFirstInFirstOut() throws Exception {
    try (RateLimiter limiter = limiter(2, Duration.ofMillis(100));
        Throttle throttle = Throttle.builder("fifo", limiter).queueCapacity(20).build()) {
      ConcurrentLinkedQueue<Integer> order = new ConcurrentLinkedQueue<>();
      List<CompletableFuture<Decision>> all = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        int n = i;
        all.add(throttle.acquire("k").whenComplete((d, e) -> order.add(n)));
      }
      for (CompletableFuture<Decision> f : all) {
        assertThat(f.get(10, TimeUnit.SECONDS).allowed()).isTrue();
      }
      assertThat(order).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    }
  }

  @Test
  void aCancelledWaiterTakesNoPermits() throws Exception {
    try (RateLimiter limiter = limiter(1, Duration.ofMillis(200));
        Throttle throttle = Throttle.builder("cancel", limiter).queueCapacity(5).build()) {
      assertThat(throttle.acquire("k").get(5, TimeUnit.SECONDS).allowed()).isTrue();
      CompletableFuture<Decision> cancelled = throttle.acquire("k");
      CompletableFuture<Decision> next = throttle.acquire("k");
      assertThat(throttle.waiting()).isEqualTo(2);
      cancelled.cancel(false);
      assertThat(throttle.waiting()).as("left at once").isEqualTo(1);
      assertThat(next.get(5, TimeUnit.SECONDS).allowed()).isTrue();
      // the next refill (one per 200 ms) is the cancelled one's: it took nothing
      Thread.sleep(250);
      assertThat(limiter.tryAcquire("k").allowed()).isTrue();
    }
  }

  @Test
  void closeRefusesWaitersAndRemovesItsMeters() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RateLimiter limiter = limiter(1, Duration.ofHours(1));
    Throttle throttle = Throttle.builder("close", limiter).telemetry(Telemetry.of(registry)).build();
    assertThat(throttle.acquire("k").get(5, TimeUnit.SECONDS).allowed()).isTrue();
    CompletableFuture<Decision> waiting = throttle.acquire("k");
    assertThat(registry.get("scaleblocks.ratelimit.throttle.waiting").gauge().value()).isEqualTo(1.0);
    throttle.close();
    Decision d = waiting.get(5, TimeUnit.SECONDS);
    assertThat(d.allowed()).isFalse();
    assertThat(d.retryAfter()).as("the limiter's own refusal").isGreaterThan(Duration.ofMinutes(50));
    assertThat(registry.getMeters()).isEmpty();
    assertThat(throttle.acquire("k")).isCompletedExceptionally();
  }

  @Test
  void tooManyKeysWithWaitersRefuses() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (RateLimiter limiter = limiter(1, Duration.ofHours(1));
        Throttle throttle = Throttle.builder("keys", limiter).maxKeys(2)
            .telemetry(Telemetry.of(registry)).build()) {
      for (String key : List.of("a", "b", "c")) {
        assertThat(throttle.acquire(key).get(5, TimeUnit.SECONDS).allowed()).isTrue();
      }
      CompletableFuture<Decision> a = throttle.acquire("a");
      CompletableFuture<Decision> b = throttle.acquire("b");
      Decision c = throttle.acquire("c").get(5, TimeUnit.SECONDS);
      assertThat(c.allowed()).isFalse();
      assertThat(a).isNotDone();
      assertThat(b).isNotDone();
      assertThat(registry.get("scaleblocks.ratelimit.throttle.refused").tag("reason", "max_keys").counter().count())
          .isEqualTo(1.0);
    }
  }

  @Test
  void badArgumentsFailClearly() {
    try (RateLimiter limiter = limiter(1, Duration.ofSeconds(1))) {
      assertThatThrownBy(() -> Throttle.builder("t", limiter).queueCapacity(0))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("queueCapacity must be in [1, 1000000] but was 0");
      assertThatThrownBy(() -> Throttle.builder("t", limiter).maxDelay(Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("maxDelay must be in (0, 1 day] but was PT0S");
      assertThatThrownBy(() -> Throttle.builder("t", limiter).maxKeys(-1))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("maxKeys must be positive but was -1");
      assertThatThrownBy(() -> Throttle.builder(" ", limiter))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("name must not be blank but was ' '");
      try (Throttle throttle = Throttle.builder("t", limiter).build()) {
        assertThatThrownBy(() -> throttle.acquire("k", 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("permits must be positive but was 0");
        assertThatThrownBy(() -> throttle.acquire(null))
            .isInstanceOf(NullPointerException.class).hasMessage("key must not be null");
      }
    }
  }
}
