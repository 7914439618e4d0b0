package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterProperty;

/**
 * Every builder option and entry point, fed random durations, counts, sizes and strings (negative,
 * zero, huge, {@code Duration.ofSeconds(Long.MAX_VALUE)}, empty, megabytes long): either accepted,
 * or an {@code IllegalArgumentException}/{@code NullPointerException} naming the parameter; never
 * another exception, a hang or an OutOfMemoryError.
 */
class TieredCachePropertiesTest {

  private static final Set<Class<?>> ALLOWED = Set.of(IllegalArgumentException.class, NullPointerException.class);

  private final TieredCache<String, String> cache = TieredCache.builder().name("props").build();

  @AfterProperty
  void close() {
    cache.close();
  }

  @Provide
  Arbitrary<Duration> durations() {
    return Arbitraries.oneOf(
        Arbitraries.of(Duration.ZERO, Duration.ofNanos(1), Duration.ofNanos(-1), Duration.ofSeconds(Long.MAX_VALUE),
            Duration.ofSeconds(Long.MIN_VALUE), Duration.ofDays(36_500), Duration.ofDays(36_501),
            Duration.ofMillis(10), Duration.ofMillis(9), Duration.ofHours(1), Duration.ofMinutes(1)),
        Arbitraries.longs().map(Duration::ofNanos),
        Arbitraries.longs().map(Duration::ofMillis),
        Arbitraries.longs().between(-1_000_000_000_000L, 1_000_000_000_000L).map(Duration::ofSeconds));
  }

  @Provide
  Arbitrary<String> keys() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(2_000),
        Arbitraries.of("", "x".repeat(1024), "x".repeat(1025), "x".repeat(3 * 1024 * 1024)),
        Arbitraries.strings().withCharRange('\u0000', '\uffff').ofMaxLength(50));
  }

  @Provide
  Arbitrary<Long> counts() {
    return Arbitraries.oneOf(Arbitraries.longs(),
        Arbitraries.of(0L, -1L, 1L, Long.MAX_VALUE, Long.MIN_VALUE, (long) Integer.MAX_VALUE, (long) Integer.MIN_VALUE));
  }

  @Provide
  Arbitrary<Double> fractions() {
    return Arbitraries.oneOf(Arbitraries.doubles(),
        Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 0.5, 1.0, 1e300));
  }

  private static void validOrClear(String parameter, Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      assertThat(e).as(parameter).isInstanceOfAny(IllegalArgumentException.class, NullPointerException.class);
      if (!(e instanceof NullPointerException)) {
        assertThat(e.getMessage()).as(parameter).startsWith(parameter);
      }
    }
  }

  @Property
  void durationOptions(@ForAll("durations") Duration d, @ForAll @IntRange(min = 0, max = 7) int option) {
    String[] names = {"l1Ttl", "l2Ttl", "negativeTtl", "staleIfError", "leaseTime", "invalidationHeartbeat",
        "l2Timeout", "l1Ttl"};
    validOrClear(names[option], () -> {
      TieredCacheBuilder<Object, Object> b = TieredCache.builder().name("d");
      switch (option) {
        case 0 -> b.l1Ttl(d);
        case 1 -> b.l2Ttl(d);
        case 2 -> b.negativeTtl(d);
        case 3 -> b.staleIfError(d);
        case 4 -> b.clusterLease(d);
        case 5 -> b.invalidationHeartbeat(d);
        case 6 -> b.l2Timeout(d);
        default -> b.l1Ttl(d).staleIfError(d).negativeTtl(d).refreshAhead(0.5);
      }
      // what was accepted builds a cache that works
      try (TieredCache<String, String> c = b.build()) {
        assertThat(c.get("k", k -> "v")).isEqualTo("v");
        assertThat(c.get("n", k -> null)).isNull();
        assertThat(c.getIfPresent("k")).isIn("v", null);
      }
    });
  }

  @Property
  void countOptions(@ForAll("counts") long n, @ForAll @IntRange(min = 0, max = 5) int option) {
    String[] names = {"maximumSize", "maximumWeight", "maxValueBytes", "maxKeyLength", "asyncThreads", "queueCapacity"};
    validOrClear(names[option], () -> {
      TieredCacheBuilder<Object, Object> b = TieredCache.builder().name("n");
      int i = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, n));
      switch (option) {
        case 0 -> b.maximumSize(n);
        case 1 -> b.maximumWeight(n).weigher((k, v) -> 1);
        case 2 -> b.maxValueBytes(i);
        case 3 -> b.maxKeyLength(i);
        case 4 -> b.asyncThreads(Math.min(i, 8), 10);
        default -> b.asyncThreads(1, Math.min(i, 100_000));
      }
      try (TieredCache<String, String> c = b.build()) {
        assertThat(c.get("k", k -> "v")).isEqualTo("v");
      }
    });
  }

  @Property
  void fractionOptions(@ForAll("fractions") double f, @ForAll boolean jitter) {
    validOrClear(jitter ? "ttlJitter" : "refreshAhead", () -> {
      TieredCacheBuilder<Object, Object> b = TieredCache.builder().name("f");
      if (jitter) {
        b.ttlJitter(f);
      } else {
        b.refreshAhead(f);
      }
      try (TieredCache<String, String> c = b.build()) {
        assertThat(c.get("k", k -> "v")).isEqualTo("v");
      }
    });
  }

  @Property
  void stringOptions(@ForAll("keys") String s, @ForAll @IntRange(min = 0, max = 2) int option) {
    String[] names = {"name", "keyPrefix", "instanceId"};
    validOrClear(names[option], () -> {
      TieredCacheBuilder<Object, Object> b = TieredCache.builder();
      switch (option) {
        case 0 -> b.name(s);
        case 1 -> b.name("s").keyPrefix(s);
        default -> b.name("s").instanceId(s);
      }
      try (TieredCache<String, String> c = b.build()) {
        assertThat(c.get("k", k -> "v")).isEqualTo("v");
      }
    });
  }

  @Property
  void entryPoints(@ForAll("keys") String key, @ForAll @IntRange(min = 0, max = 11) int op) throws Exception {
    Function<String, String> loader = k -> "v";
    validOrClear("key", () -> {
      switch (op) {
        case 0 -> cache.get(key, loader);
        case 1 -> cache.getEntry(key, loader);
        case 2 -> cache.getIfPresent(key);
        case 3 -> cache.put(key, "v");
        case 4 -> cache.putAll(Map.of(key, "v"));
        case 5 -> cache.invalidate(key);
        case 6 -> cache.invalidateAll(List.of(key));
        case 7 -> cache.getAll(List.of(key), ks -> Map.of());
        case 8 -> join(cache.getAsync(key, loader));
        case 9 -> join(cache.putAsync(key, "v"));
        case 10 -> join(cache.invalidateAsync(key));
        default -> cache.getEntryIfPresent(key);
      }
    });
  }

  private static void join(java.util.concurrent.CompletableFuture<?> f) {
    try {
      f.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
