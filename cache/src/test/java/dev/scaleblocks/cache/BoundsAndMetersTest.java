package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.codec.Codec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Durations nobody should pass, over-long keys, and meters owned by their cache. */
class BoundsAndMetersTest {

  private static final Duration HUGE = Duration.ofSeconds(Long.MAX_VALUE);

  @Test
  void hugeDurationsAreRefusedNamingTheOption() {
    List<Map.Entry<String, Consumer<TieredCacheBuilder<Object, Object>>>> options = List.of(
        Map.entry("l1Ttl", b -> b.l1Ttl(HUGE)),
        Map.entry("l2Ttl", b -> b.l2Ttl(HUGE)),
        Map.entry("negativeTtl", b -> b.negativeTtl(HUGE)),
        Map.entry("staleIfError", b -> b.staleIfError(HUGE)),
        Map.entry("leaseTime", b -> b.clusterLease(HUGE)),
        Map.entry("invalidationHeartbeat", b -> b.invalidationHeartbeat(HUGE)),
        Map.entry("l2Timeout", b -> b.l2Timeout(HUGE)));
    for (Map.Entry<String, Consumer<TieredCacheBuilder<Object, Object>>> o : options) {
      assertThatThrownBy(() -> o.getValue().accept(TieredCache.builder()))
          .as(o.getKey()).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(o.getKey() + " must be");
    }
  }

  @Test
  void theInvalidationHeartbeatIsBounded() {
    assertThatThrownBy(() -> TieredCache.builder().invalidationHeartbeat(Duration.ofNanos(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalidationHeartbeat must be in [PT0.01S, PT1H] but was PT0.000000001S");
    assertThatCode(() -> TieredCache.builder().invalidationHeartbeat(Duration.ofMillis(10))).doesNotThrowAnyException();
    assertThatThrownBy(() -> TieredCache.builder().l2Timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("l2Timeout must be in [PT0.001S, PT1M] but was PT0S");
  }

  @Test
  void longestDurationsStillWork() {
    Duration max = Duration.ofDays(36_500);
    try (TieredCache<String, String> cache = TieredCache.builder().name("longest").l1Ttl(max).l2Ttl(max)
        .negativeTtl(max).staleIfError(max).refreshAhead(0.9).build()) {
      assertThat(cache.get("k", k -> "v")).isEqualTo("v");
      assertThat(cache.get("k", k -> "other")).isEqualTo("v");
      assertThat(cache.get("absent", k -> null)).isNull();
    }
  }

  @Test
  void overLongKeysAreRefusedBeforeAnythingIsTouched() {
    assertThatThrownBy(() -> TieredCache.builder().maxKeyLength(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxKeyLength must be in [1, 1048576] but was 0");
    assertThatThrownBy(() -> TieredCache.builder().maxKeyLength(1_048_577))
        .isInstanceOf(IllegalArgumentException.class);
    String longKey = "x".repeat(10 * 1024 * 1024);
    try (TieredCache<String, String> cache = TieredCache.builder().name("keys").build()) {
      String expected = "key length must be at most 1024 but was 10485760";
      assertThatThrownBy(() -> cache.get(longKey, k -> "v")).hasMessage(expected);
      assertThatThrownBy(() -> cache.put(longKey, "v")).hasMessage(expected);
      assertThatThrownBy(() -> cache.putAll(Map.of(longKey, "v"))).hasMessage(expected);
      assertThatThrownBy(() -> cache.invalidate(longKey)).hasMessage(expected);
      assertThatThrownBy(() -> cache.getIfPresent(longKey)).hasMessage(expected);
      assertThatThrownBy(() -> cache.getAll(List.of("ok", longKey), ks -> Map.of())).hasMessage(expected);
      assertThatThrownBy(() -> cache.getAsync(longKey, k -> "v")).hasMessage(expected);
      assertThatThrownBy(() -> cache.putAsync(longKey, "v")).hasMessage(expected);
      assertThatThrownBy(() -> cache.invalidateAsync(longKey)).hasMessage(expected);
      assertThat(cache.estimatedL1Size()).isZero();
      assertThat(cache.get("x".repeat(1024), k -> "v")).isEqualTo("v");
    }
    // non-String keys are measured by their encoded bytes
    Codec<Long> wide = new Codec<>() {
      @Override
      public byte[] encode(Long value) {
        return new byte[2_000];
      }

      @Override
      public Long decode(byte[] bytes) {
        return 0L;
      }
    };
    try (redis.clients.jedis.RedisClient client = redis.clients.jedis.RedisClient.create("127.0.0.1", 1);
        TieredCache<Long, String> cache = TieredCache.builder().name("wide-keys").keyCodec(wide)
            .valueCodec(Codec.utf8()).redis(client).invalidation(false).build()) {
      assertThatThrownBy(() -> cache.put(1L, "v")).hasMessage("key length must be at most 1024 but was 2000");
    }
  }

  @Test
  void metersAreRegisteredAtBuildRemovedOnCloseAndOneNamePerRegistry() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TieredCache<String, String> first = TieredCache.builder().name("orders").telemetry(Telemetry.of(registry)).build();
    assertThat(registry.find("scaleblocks.cache.gets").tag("cache", "orders").meters()).isNotEmpty();
    assertThatThrownBy(() -> TieredCache.builder().name("orders").telemetry(Telemetry.of(registry)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cache named 'orders' is already registered on this meter registry; close it first or choose "
            + "another name");
    // another name, or another registry, is fine
    TieredCache<String, String> other = TieredCache.builder().name("users").telemetry(Telemetry.of(registry)).build();
    TieredCache<String, String> elsewhere =
        TieredCache.builder().name("orders").telemetry(Telemetry.of(new SimpleMeterRegistry())).build();
    first.close();
    assertThat(registry.find("scaleblocks.cache.gets").tag("cache", "orders").meters()).isEmpty();
    assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTag("cache")).isNotEqualTo("orders"));
    assertThat(registry.find("scaleblocks.cache.gets").tag("cache", "users").meters()).isNotEmpty();
    first.close(); // idempotent
    try (TieredCache<String, String> again = TieredCache.builder().name("orders").telemetry(Telemetry.of(registry)).build()) {
      again.get("k", k -> "v");
      assertThat(registry.get("scaleblocks.cache.loads").tags("cache", "orders", "result", "success")
          .functionCounter().count()).isEqualTo(1);
    }
    other.close();
    elsewhere.close();
    assertThat(registry.getMeters()).isEmpty();
    // without telemetry there is no registry to collide on
    try (TieredCache<String, String> a = TieredCache.builder().name("quiet").build();
        TieredCache<String, String> b = TieredCache.builder().name("quiet").build()) {
      assertThat(a.get("k", k -> "v")).isEqualTo(b.get("k", k -> "v"));
    }
  }
}
