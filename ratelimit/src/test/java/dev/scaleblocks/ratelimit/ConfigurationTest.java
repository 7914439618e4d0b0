package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Bad limits, policies and builder options fail at once, with messages naming what is wrong. */
class ConfigurationTest {

  private static final RateLimitPolicy POLICY =
      RateLimitPolicy.builder("p").limit(10, Duration.ofSeconds(1)).build();

  @Test
  void limitsRejectNonPositiveAndOverflowingValues() {
    assertThatThrownBy(() -> Limit.of(0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("quota must be positive but was 0");
    assertThatThrownBy(() -> Limit.of(-3, Duration.ofSeconds(1)))
        .hasMessage("quota must be positive but was -3");
    assertThatThrownBy(() -> Limit.of(1, Duration.ZERO))
        .hasMessage("period must be positive but was PT0S");
    assertThatThrownBy(() -> Limit.of(1, Duration.ofSeconds(-1)))
        .hasMessage("period must be positive but was PT-1S");
    assertThatThrownBy(() -> Limit.of(1, null)).isInstanceOf(NullPointerException.class)
        .hasMessage("period must not be null");
    assertThatThrownBy(() -> Limit.of(1, Duration.ofSeconds(1)).withBurst(-1))
        .hasMessage("burst must not be negative but was -1");
    assertThatThrownBy(() -> Limit.of(Long.MAX_VALUE, Duration.ofSeconds(1)).withBurst(1))
        .hasMessageContaining("overflows");
  }

  @Test
  void policiesNeedANameAndALimit() {
    assertThatThrownBy(() -> RateLimitPolicy.builder("")).hasMessage("name must not be empty");
    assertThatThrownBy(() -> RateLimitPolicy.builder(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> RateLimitPolicy.builder("p").build())
        .isInstanceOf(IllegalStateException.class).hasMessage("policy p needs at least one limit");
  }

  @Test
  void limitsThatCannotBeComputedExactlyAreRefusedAtBuild() {
    RateLimitPolicy huge = RateLimitPolicy.builder("huge")
        .limit(Long.MAX_VALUE / 4, Duration.ofDays(1)).build();
    assertThatThrownBy(() -> RateLimiter.builder(huge).local().build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not exceed 2^53");
    RateLimitPolicy fractional = RateLimitPolicy.builder("frac")
        .limit(1, Duration.ofNanos(1_500_000)).build();
    assertThatThrownBy(() -> RateLimiter.builder(fractional).local().build())
        .hasMessage("period must be a whole number of milliseconds but was PT0.0015S");
    RateLimitPolicy windowBurst = RateLimitPolicy.builder("wb")
        .limit(Limit.of(5, Duration.ofSeconds(1)).withBurst(2))
        .algorithm(Algorithm.FIXED_WINDOW).build();
    assertThatThrownBy(() -> RateLimiter.builder(windowBurst).local().build())
        .hasMessageContaining("burst applies to TOKEN_BUCKET and GCRA only");
    // a million per day is fine
    RateLimitPolicy daily = RateLimitPolicy.builder("daily")
        .limit(1_000_000, Duration.ofDays(1)).build();
    assertThat(RateLimiter.builder(daily).local().build().tryAcquire("k").allowed()).isTrue();
  }

  @Test
  void builderOptionsAreCheckedAtOnceAndSetOnce() {
    assertThatThrownBy(() -> RateLimiter.builder(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("policy must not be null");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).build())
        .isInstanceOf(IllegalStateException.class).hasMessage("choose a store: local(), redis(jedis) or lettuce(client)");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).local().local())
        .isInstanceOf(IllegalStateException.class).hasMessage("store was already set to LOCAL");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).maximumKeys(0))
        .hasMessage("maximumKeys must be positive but was 0");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).storeTimeout(Duration.ZERO))
        .hasMessage("storeTimeout must be positive but was PT0S");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).leasing(0))
        .hasMessage("permits must be positive but was 0");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).localFallback(0))
        .hasMessage("instances must be positive but was 0");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).storeThreads(-1))
        .hasMessage("storeThreads must be positive but was -1");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).redis(null))
        .isInstanceOf(NullPointerException.class).hasMessage("jedis must not be null");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).local().leasing(1).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("redis store only");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).maximumKeys(5).maximumKeys(6))
        .hasMessage("maximumKeys was already set to 5");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).coalesceRedisCalls().coalesceRedisCalls())
        .isInstanceOf(IllegalStateException.class).hasMessage("coalesceRedisCalls was already set");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).local().coalesceRedisCalls().build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("redis store only");
  }

  @Test
  void limiterDescribesItself() {
    RateLimiter limiter = RateLimiter.builder(POLICY).local().shadowMode().build();
    assertThat(limiter.policy()).isSameAs(POLICY);
    assertThat(limiter.toString()).contains("p", "shadow");
  }

  @Test
  void hugeDurationsAreRefusedWithoutOverflow() {
    Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
    assertThatThrownBy(() -> Limit.of(10, forever))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("period must be at most");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).storeTimeout(forever))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("storeTimeout must be at most");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).storeTimeout(Duration.ofMinutes(2)))
        .hasMessage("storeTimeout must be in [PT0.001S, PT1M] but was PT2M");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).leasing(1, forever))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("maxHold must be at most");
    // a hundred years per permit is refused by the exactness bound, not by an overflow
    RateLimitPolicy century = RateLimitPolicy.builder("century")
        .limit(Long.MAX_VALUE / 2, Duration.ofDays(36_500)).build();
    assertThatThrownBy(() -> RateLimiter.builder(century).local().build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not exceed 2^53");
  }

  @Test
  void aLeaseCannotTakeTheWholeBucket() {
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).leasing(Long.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permits must be at most 1 (a tenth of the smallest limit's capacity 10) but "
            + "was 9223372036854775807");
    RateLimitPolicy big = RateLimitPolicy.builder("big").limit(1000, Duration.ofSeconds(1))
        .limit(Limit.of(500, Duration.ofMinutes(1)).withBurst(100)).build();
    assertThat(RateLimiter.builder(big).leasing(60)).isNotNull();
    assertThatThrownBy(() -> RateLimiter.builder(big).leasing(61))
        .hasMessage("permits must be at most 60 (a tenth of the smallest limit's capacity 600) but was 61");
  }

  @Test
  void overLongKeysAreRefusedBeforeAnyDecisionOrRedisCall() throws Exception {
    String tenMegabytes = "k".repeat(10 * 1024 * 1024);
    // Redis on a closed port with FAIL_OPEN: a key that reached the store would be admitted
    try (redis.clients.jedis.UnifiedJedis nowhere = redis.clients.jedis.RedisClient.create("127.0.0.1", 1);
        RateLimiter limiter = RateLimiter.builder(POLICY).redis(nowhere).build()) {
      assertThatThrownBy(() -> limiter.tryAcquire(tenMegabytes))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("key length must be at most 1024 but was 10485760");
      assertThatThrownBy(() -> limiter.tryAcquireAsync(tenMegabytes, 1))
          .hasMessage("key length must be at most 1024 but was 10485760");
      assertThatThrownBy(() -> limiter.acquire(tenMegabytes, 1, Duration.ofSeconds(1)))
          .hasMessage("key length must be at most 1024 but was 10485760");
    }
    RateLimiter local = RateLimiter.builder(POLICY).local().maxKeyLength(4).build();
    assertThat(local.tryAcquire("abcd").allowed()).isTrue();
    assertThatThrownBy(() -> local.tryAcquire("abcde"))
        .hasMessage("key length must be at most 4 but was 5");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).maxKeyLength(0))
        .hasMessage("maxKeyLength must be in [1, 1048576] but was 0");
    assertThatThrownBy(() -> RateLimiter.builder(POLICY).maxKeyLength(1_048_577))
        .hasMessage("maxKeyLength must be in [1, 1048576] but was 1048577");
  }
}
