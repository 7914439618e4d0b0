package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Time-driven L1 behaviour under a fake ticker. */
class L1BehaviourTest {

  private final FakeTicker ticker = new FakeTicker();
  private TieredCache<String, String> cache;

  private TieredCacheBuilder<Object, Object> builder() {
    return builder(0);
  }

  private TieredCacheBuilder<Object, Object> builder(double jitter) {
    return TieredCache.builder().name("l1-test").ticker(ticker).ttlJitter(jitter);
  }

  @AfterEach
  void close() {
    if (cache != null) {
      cache.close();
    }
  }

  @Test
  void entriesExpireAfterTheL1Ttl() {
    cache = builder().l1Ttl(Duration.ofSeconds(10)).build();
    AtomicInteger loads = new AtomicInteger();
    cache.get("k", k -> "v" + loads.incrementAndGet());
    ticker.advanceSeconds(9);
    assertThat(cache.get("k", k -> "v" + loads.incrementAndGet())).isEqualTo("v1");
    ticker.advanceSeconds(2);
    assertThat(cache.get("k", k -> "v" + loads.incrementAndGet())).isEqualTo("v2");
  }

  @Test
  void jitterShortensTtlsWithinItsFraction() {
    cache = builder(0.5).l1Ttl(Duration.ofSeconds(10)).build();
    for (int i = 0; i < 200; i++) {
      cache.put("k" + i, "v");
    }
    ticker.advanceMillis(4_900);
    int present = 0;
    for (int i = 0; i < 200; i++) {
      present += cache.getIfPresent("k" + i) != null ? 1 : 0;
    }
    assertThat(present).isEqualTo(200);
    ticker.advanceMillis(2_600);
    int afterSeven = 0;
    for (int i = 0; i < 200; i++) {
      afterSeven += cache.getIfPresent("k" + i) != null ? 1 : 0;
    }
    assertThat(afterSeven).as("some, not all, expired by 7.5 s").isBetween(1, 199);
    ticker.advanceMillis(2_600);
    for (int i = 0; i < 200; i++) {
      assertThat(cache.getIfPresent("k" + i)).isNull();
    }
  }

  @Test
  void negativeEntriesUseTheirOwnTtl() {
    cache = builder().l1Ttl(Duration.ofMinutes(10)).negativeTtl(Duration.ofSeconds(5)).build();
    AtomicInteger loads = new AtomicInteger();
    cache.get("k", k -> {
      loads.incrementAndGet();
      return null;
    });
    ticker.advanceSeconds(4);
    assertThat(cache.get("k", k -> "found")).isNull();
    ticker.advanceSeconds(2);
    assertThat(cache.get("k", k -> "found")).isEqualTo("found");
    assertThat(loads).hasValue(1);
  }

  @Test
  void refreshAheadServesTheOldValueWhileOneReloadRuns() {
    cache = builder().l1Ttl(Duration.ofSeconds(10)).refreshAhead(0.5).build();
    AtomicInteger loads = new AtomicInteger();
    cache.get("k", k -> "v" + loads.incrementAndGet());
    ticker.advanceSeconds(6);
    CountDownLatch release = new CountDownLatch(1);
    for (int i = 0; i < 20; i++) {
      assertThat(cache.get("k", k -> {
        awaitLatch(release);
        return "v" + loads.incrementAndGet();
      })).isEqualTo("v1");
    }
    release.countDown();
    await().atMost(Duration.ofSeconds(5)).until(() -> "v2".equals(cache.getIfPresent("k")));
    assertThat(loads).hasValue(2);
  }

  @Test
  void staleIfErrorServesTheLastValueUpToItsWindow() {
    cache = builder().l1Ttl(Duration.ofSeconds(10)).staleIfError(Duration.ofSeconds(30)).build();
    cache.get("k", k -> "old");
    ticker.advanceSeconds(11);
    assertThat(cache.get("k", k -> {
      throw new IllegalStateException("down");
    })).isEqualTo("old");
    ticker.advanceSeconds(30);
    assertThatThrownBy(() -> cache.get("k", k -> {
      throw new IllegalStateException("down");
    })).hasMessage("down");
    assertThat(cache.get("k", k -> "new")).isEqualTo("new");
  }

  @Test
  void anExpiredValueKeptForStaleIfErrorIsReloadedNotServedAsAHit() {
    cache = builder().l1Ttl(Duration.ofSeconds(10)).staleIfError(Duration.ofSeconds(30)).build();
    cache.get("k", k -> "old");
    cache.get("none", k -> null);
    ticker.advanceSeconds(11);
    assertThat(cache.get("k", k -> "new")).isEqualTo("new");
    ticker.advanceSeconds(20); // past the negative TTL (30 s), within its stale window
    assertThat(cache.get("none", k -> "found")).isEqualTo("found");
  }

  @Test
  void getAllServesStaleValuesWhenTheBulkLoaderFailsAndCollapsesRepeatedKeys() {
    cache = builder().l1Ttl(Duration.ofSeconds(10)).staleIfError(Duration.ofSeconds(30)).build();
    cache.getAll(java.util.List.of("a", "b"), keys -> java.util.Map.of("a", "A", "b", "B"));
    ticker.advanceSeconds(11);
    assertThat(cache.getAll(java.util.List.of("a", "b", "a"), keys -> {
      throw new IllegalStateException("down");
    })).containsOnly(java.util.Map.entry("a", "A"), java.util.Map.entry("b", "B"));
    java.util.List<java.util.Set<String>> calls = new java.util.ArrayList<>();
    assertThat(cache.getAll(java.util.List.of("c", "c", "d"), keys -> {
      calls.add(java.util.Set.copyOf(keys));
      return java.util.Map.of("c", "C");
    })).containsOnly(java.util.Map.entry("c", "C"));
    assertThat(calls).containsExactly(java.util.Set.of("c", "d"));
    assertThatThrownBy(() -> cache.getAll(java.util.List.of("a", "never"), keys -> {
      throw new IllegalStateException("down");
    })).hasMessage("down");
  }

  @Test
  void aLoadThatRacedAnInvalidationNeverEntersL1() throws Exception {
    cache = builder().build();
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    CompletableFuture<String> load = CompletableFuture.supplyAsync(() -> cache.get("k", k -> {
      loading.countDown();
      awaitLatch(finish);
      return "stale";
    }));
    assertThat(loading.await(5, TimeUnit.SECONDS)).isTrue();
    cache.invalidate("k");
    finish.countDown();
    assertThat(load.get(5, TimeUnit.SECONDS)).isEqualTo("stale");
    assertThat(cache.getIfPresent("k")).isNull();
  }

  @Test
  void aLoadThatRacedAPutDoesNotOverwriteIt() throws Exception {
    cache = builder().build();
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    CompletableFuture<String> load = CompletableFuture.supplyAsync(() -> cache.get("k", k -> {
      loading.countDown();
      awaitLatch(finish);
      return "loaded-before-put";
    }));
    assertThat(loading.await(5, TimeUnit.SECONDS)).isTrue();
    cache.put("k", "put");
    finish.countDown();
    load.get(5, TimeUnit.SECONDS);
    assertThat(cache.getIfPresent("k")).isEqualTo("put");
  }

  @Test
  void weightBoundsTheL1() {
    cache = TieredCache.builder().name("weighted").ticker(ticker).maximumWeight(100)
        .<String, String>weigher((k, v) -> v.length()).build();
    for (int i = 0; i < 50; i++) {
      cache.put("k" + i, "0123456789");
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> cache.estimatedL1Size() <= 10);
  }

  @Test
  void metricsCountHitsMissesAndLoads() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    cache = builder().telemetry(Telemetry.of(registry)).build();
    cache.get("k", k -> "v");
    cache.get("k", k -> "v");
    cache.get("k", k -> "v");
    assertThat(registry.get("scaleblocks.cache.gets").tags("cache", "l1-test", "tier", "l1", "result", "hit")
        .functionCounter().count()).isEqualTo(2);
    assertThat(registry.get("scaleblocks.cache.gets").tags("tier", "l1", "result", "miss")
        .functionCounter().count()).isEqualTo(1);
    assertThat(registry.get("scaleblocks.cache.loads").tags("result", "success")
        .functionCounter().count()).isEqualTo(1);
    assertThat(registry.get("scaleblocks.cache.load.duration").timer().count()).isEqualTo(1);
  }

  static void awaitLatch(CountDownLatch latch) {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("latch not released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
