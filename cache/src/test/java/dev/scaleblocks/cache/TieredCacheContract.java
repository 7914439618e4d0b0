package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.codec.Codec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link TieredCache} set-up must show: L1 only, L1 + Redis, L1 + Redis
 * Cluster. Subclasses add the L2 in {@link #withL2}.
 */
abstract class TieredCacheContract {

  protected final List<AutoCloseable> closeables = new ArrayList<>();

  /** Adds the L2 under test (or nothing, for L1 only). */
  protected abstract <K, V> TieredCacheBuilder<K, V> withL2(TieredCacheBuilder<K, V> builder);

  protected TieredCacheBuilder<String, String> builder() {
    return TieredCache.builder()
        .name("contract-" + UUID.randomUUID())
        .keyCodec(Codec.utf8())
        .valueCodec(Codec.utf8());
  }

  protected TieredCache<String, String> cache() {
    return track(withL2(builder()).build());
  }

  protected <T extends AutoCloseable> T track(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  @Test
  void getLoadsOnceThenHits() {
    TieredCache<String, String> cache = cache();
    AtomicInteger loads = new AtomicInteger();
    assertThat(cache.get("a", k -> "v-" + k + loads.incrementAndGet())).isEqualTo("v-a1");
    assertThat(cache.get("a", k -> "v-" + k + loads.incrementAndGet())).isEqualTo("v-a1");
    assertThat(loads).hasValue(1);
    assertThat(cache.getIfPresent("a")).isEqualTo("v-a1");
    assertThat(cache.getIfPresent("absent")).isNull();
  }

  @Test
  void nullFromLoaderIsCachedAsNegativeEntry() {
    TieredCache<String, String> cache = cache();
    AtomicInteger loads = new AtomicInteger();
    assertThat(cache.get("none", k -> {
      loads.incrementAndGet();
      return null;
    })).isNull();
    assertThat(cache.getEntry("none", k -> {
      loads.incrementAndGet();
      return "late";
    })).isNull();
    assertThat(loads).hasValue(1);
    assertThat(cache.getIfPresent("none")).isNull();
  }

  @Test
  void zeroNegativeTtlCachesNothingForNull() {
    TieredCache<String, String> cache = track(withL2(builder().negativeTtl(java.time.Duration.ZERO)).build());
    AtomicInteger loads = new AtomicInteger();
    cache.get("none", k -> {
      loads.incrementAndGet();
      return null;
    });
    assertThat(cache.get("none", k -> "found")).isEqualTo("found");
    assertThat(loads).hasValue(1);
  }

  @Test
  void loaderExceptionReachesCallerAndNothingIsCached() {
    TieredCache<String, String> cache = cache();
    assertThatThrownBy(() -> cache.get("k", k -> {
      throw new IllegalStateException("database down");
    })).isInstanceOf(IllegalStateException.class).hasMessage("database down");
    assertThat(cache.getIfPresent("k")).isNull();
    assertThat(cache.get("k", k -> "ok")).isEqualTo("ok");
  }

  @Test
  void putReplacesAndChangesVersion() {
    TieredCache<String, String> cache = cache();
    CacheEntry<String> first = cache.getEntry("k", k -> "one");
    assertThat(first).isNotNull();
    cache.put("k", "two");
    CacheEntry<String> second = cache.getEntryIfPresent("k");
    assertThat(second).isNotNull();
    assertThat(second.value()).isEqualTo("two");
    assertThat(second.version()).isNotEqualTo(first.version());
    assertThat(second.writeTime()).isAfterOrEqualTo(first.writeTime());
    assertThat(cache.get("k", k -> "loaded")).isEqualTo("two");
  }

  @Test
  void invalidateForcesReload() {
    TieredCache<String, String> cache = cache();
    cache.put("a", "1");
    cache.put("b", "1");
    cache.put("c", "1");
    cache.invalidate("a");
    assertThat(cache.get("a", k -> "2")).isEqualTo("2");
    cache.invalidateAll(List.of("b", "c"));
    assertThat(cache.getIfPresent("b")).isNull();
    assertThat(cache.get("c", k -> "3")).isEqualTo("3");
    cache.invalidateAll();
    assertThat(cache.getIfPresent("a")).isNull();
    assertThat(cache.getIfPresent("c")).isNull();
    assertThat(cache.estimatedL1Size()).isZero();
  }

  @Test
  void getAllCallsBulkLoaderOnceForTheMissingKeys() {
    TieredCache<String, String> cache = cache();
    cache.put("k1", "cached1");
    cache.put("k2", "cached2");
    List<Set<String>> calls = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      keys.add("k" + i);
    }
    Map<String, String> all = cache.getAll(keys, missing -> {
      calls.add(new LinkedHashSet<>(missing));
      Map<String, String> out = new HashMap<>();
      for (String k : missing) {
        if (!k.equals("k20")) {
          out.put(k, "loaded-" + k);
        }
      }
      return out;
    });
    assertThat(calls).hasSize(1);
    assertThat(calls.get(0)).hasSize(18).doesNotContain("k1", "k2");
    assertThat(all).hasSize(19).containsEntry("k1", "cached1").containsEntry("k5", "loaded-k5")
        .doesNotContainKey("k20");
    Map<String, String> again = cache.getAll(keys, missing -> {
      throw new AssertionError("no load expected but got " + missing);
    });
    assertThat(again).isEqualTo(all);
  }

  @Test
  void putAllWritesEveryValue() {
    TieredCache<String, String> cache = cache();
    cache.putAll(Map.of("x", "1", "y", "2"));
    assertThat(cache.getIfPresent("x")).isEqualTo("1");
    assertThat(cache.get("y", k -> "no")).isEqualTo("2");
  }

  @Test
  void concurrentMissesOfOneKeyLoadOnce() throws Exception {
    TieredCache<String, String> cache = cache();
    AtomicInteger loads = new AtomicInteger();
    int threads = 64;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit(() -> {
          start.await();
          return cache.get("hot", k -> {
            loads.incrementAndGet();
            sleep(100);
            return "value";
          });
        }));
      }
      start.countDown();
      for (Future<String> f : results) {
        assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo("value");
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(loads).hasValue(1);
  }

  @Test
  void asyncFormsComplete() throws Exception {
    TieredCache<String, String> cache = cache();
    assertThat(cache.getAsync("a", k -> "A").get(5, TimeUnit.SECONDS)).isEqualTo("A");
    assertThat(cache.getEntryAsync("a", k -> "other").get(5, TimeUnit.SECONDS).value()).isEqualTo("A");
    cache.putAsync("b", "B").get(5, TimeUnit.SECONDS);
    assertThat(cache.getIfPresentAsync("b").get(5, TimeUnit.SECONDS)).isEqualTo("B");
    assertThat(cache.getAllAsync(List.of("a", "b", "c"), m -> Map.of("c", "C")).get(5, TimeUnit.SECONDS))
        .containsOnly(Map.entry("a", "A"), Map.entry("b", "B"), Map.entry("c", "C"));
    cache.invalidateAsync("a").get(5, TimeUnit.SECONDS);
    assertThat(cache.getIfPresent("a")).isNull();
  }

  @Test
  void nullArgumentsAreRejectedWithTheirName() {
    TieredCache<String, String> cache = cache();
    assertThatThrownBy(() -> cache.get(null, k -> "v")).isInstanceOf(NullPointerException.class)
        .hasMessage("key must not be null");
    assertThatThrownBy(() -> cache.get("k", null)).isInstanceOf(NullPointerException.class)
        .hasMessage("loader must not be null");
    assertThatThrownBy(() -> cache.put("k", null)).isInstanceOf(NullPointerException.class)
        .hasMessage("value must not be null");
    assertThatThrownBy(() -> cache.invalidateAll(java.util.Arrays.asList("a", null)))
        .isInstanceOf(NullPointerException.class).hasMessage("keys must not contain null");
    assertThat(cache.getIfPresent("k")).isNull();
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
