package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Nonsense arguments to every builder option and entry point of the limiter: random durations
 * (negative, zero, huge, {@code Duration.ofSeconds(Long.MAX_VALUE)}), counts, sizes and strings
 * (empty, 10 MB) either work or fail with {@link IllegalArgumentException} / {@link
 * NullPointerException} naming the parameter — never another exception, a hang or an OOM. The
 * Redis limiters point at a closed port: a refused argument must be refused before any I/O.
 */
class ArgumentsPropertyTest {

  private static final String HUGE = "k".repeat(10 * 1024 * 1024);
  private static final UnifiedJedis NOWHERE = RedisClient.builder().hostAndPort("127.0.0.1", 1)
      .clientConfig(DefaultJedisClientConfig.builder()
          .connectionTimeoutMillis(50).socketTimeoutMillis(50).build())
      .build();

  @AfterContainer
  static void close() {
    NOWHERE.close();
  }

  @Provide
  Arbitrary<Duration> durations() {
    return Arbitraries.oneOf(
        Arbitraries.of(Duration.ofSeconds(Long.MAX_VALUE), Duration.ofSeconds(Long.MIN_VALUE),
            Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), Duration.ZERO, Duration.ofNanos(1),
            Duration.ofNanos(-1), Duration.ofMillis(1), Duration.ofNanos(1_500_000),
            Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofHours(1),
            Duration.ofDays(36_500), Duration.ofDays(36_501)),
        Combinators.combine(Arbitraries.longs(), Arbitraries.longs().between(0, 999_999_999))
            .as(Duration::ofSeconds),
        Arbitraries.longs().between(-10_000, 100_000_000).map(Duration::ofMillis))
        .injectNull(0.05);
  }

  @Provide
  Arbitrary<Long> counts() {
    return Arbitraries.oneOf(
        Arbitraries.longs(),
        Arbitraries.longs().between(-3, 1_000_000),
        Arbitraries.of(0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 53, Integer.MAX_VALUE + 1L));
  }

  @Provide
  Arbitrary<Integer> sizes() {
    return Arbitraries.oneOf(
        Arbitraries.integers(),
        Arbitraries.integers().between(-3, 70_000),
        Arbitraries.of(0, 1, -1, 1024, 1025, 1_048_576, 1_048_577, Integer.MAX_VALUE,
            Integer.MIN_VALUE));
  }

  @Provide
  Arbitrary<String> strings() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(40),
        Arbitraries.strings().ascii().ofMinLength(1).ofMaxLength(300),
        Arbitraries.of("", "k", "203.0.113.7", "\u0000", "\"", "ü", HUGE, "k".repeat(1025)))
        .injectNull(0.05);
  }

  /** Runs {@code action}: it must succeed or fail with IAE/NPE whose message names {@code names}. */
  private static void validOrClear(Runnable action, String... names) {
    try {
      action.run();
    } catch (IllegalArgumentException | NullPointerException e) {
      String message = e.getMessage();
      assertThat(message).as("message of %s", e).isNotNull();
      assertThat(names).as("%s names one of the parameters", message)
          .anySatisfy(n -> assertThat(message.toLowerCase(Locale.ROOT))
              .startsWith(n.toLowerCase(Locale.ROOT)));
      assertThat(message.length()).as("message length: the value is never echoed whole")
          .isLessThan(500);
    }
  }

  @Property(tries = 200)
  void limits(@ForAll("counts") long quota, @ForAll("durations") @Nullable Duration period,
      @ForAll("counts") long burst) {
    validOrClear(() -> Limit.of(quota, period).withBurst(burst),
        "quota", "period", "burst", "limit");
  }

  @Property(tries = 200)
  void policies(@ForAll("strings") @Nullable String name, @ForAll("counts") long quota,
      @ForAll("durations") @Nullable Duration period, @ForAll Algorithm algorithm) {
    validOrClear(() -> RateLimitPolicy.builder(name).limit(quota, period).algorithm(algorithm)
        .build(), "name", "quota", "period");
  }

  @Property(tries = 200)
  void builderOptionsAndEntryPoints(
      @ForAll("counts") long quota, @ForAll("durations") @Nullable Duration period,
      @ForAll("counts") long burst, @ForAll Algorithm algorithm, @ForAll boolean redis,
      @ForAll("counts") long maximumKeys, @ForAll("strings") @Nullable String keyPrefix,
      @ForAll("durations") @Nullable Duration storeTimeout, @ForAll("sizes") int instances,
      @ForAll("counts") long leasePermits, @ForAll("durations") @Nullable Duration leaseHold,
      @ForAll("sizes") int storeThreads, @ForAll("sizes") int queue, @ForAll("sizes") int keyLength,
      @ForAll("strings") @Nullable String key, @ForAll("counts") long permits,
      @ForAll("durations") @Nullable Duration maxWait) throws Exception {
    RateLimitPolicy policy;
    try {
      Limit limit = Limit.of(quota, period);
      boolean windows = algorithm == Algorithm.FIXED_WINDOW || algorithm == Algorithm.SLIDING_WINDOW;
      if (!windows) {
        limit = limit.withBurst(burst);
      }
      policy = RateLimitPolicy.builder("prop").limit(limit).algorithm(algorithm).build();
    } catch (IllegalArgumentException | NullPointerException e) {
      return; // covered by limits()
    }
    FakeTicker ticker = new FakeTicker();
    RateLimiterBuilder b = RateLimiter.builder(policy).ticker(ticker)
        // waits pass in fake time, a year at least, so a 100-year wait ends in a few steps
        .sleeper(nanos -> ticker.advance(Duration.ofDays(365).plusNanos(nanos)));
    List<Consumer<RateLimiterBuilder>> options = new ArrayList<>();
    options.add(x -> x.maximumKeys(maximumKeys));
    options.add(x -> x.maxKeyLength(keyLength));
    if (redis) {
      b.redis(NOWHERE);
      options.add(x -> x.keyPrefix(keyPrefix));
      options.add(x -> x.storeTimeout(storeTimeout));
      options.add(x -> x.instances(instances));
      options.add(x -> x.leasing(leasePermits, leaseHold));
      options.add(x -> x.storeThreads(storeThreads));
      options.add(x -> x.storeQueueCapacity(queue));
    } else {
      b.local();
    }
    for (Consumer<RateLimiterBuilder> option : options) {
      validOrClear(() -> option.accept(b), "maximumKeys", "maxKeyLength", "keyPrefix",
          "storeTimeout", "instances", "permits", "maxHold", "storeThreads", "storeQueueCapacity");
    }
    RateLimiter limiter;
    try {
      limiter = b.build();
    } catch (IllegalArgumentException e) {
      // a limit that cannot be computed exactly, or a period that is not whole milliseconds
      assertThat(e.getMessage()).matches("(limit .* must not exceed 2\\^53 .*|period must be a whole "
          + "number of milliseconds but was .*)");
      return;
    }
    try (limiter) {
      validOrClear(() -> limiter.tryAcquire(key, permits), "key", "permits");
      validOrClear(() -> limiter.tryAcquireAsync(key, permits).join(), "key", "permits");
      validOrClear(() -> {
        try {
          limiter.acquire(key, permits, maxWait);
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
      }, "key", "permits", "maxWait");
    }
  }
}
