package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.codec.Codec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
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
    return builder("contract-" + UUID.randomUUID());
  }

  /** A builder for the cache {@code name} (instances sharing a name share the L2 and invalidation). */
  protected TieredCacheBuilder<String, String> builder(String name) {
    return builder(name, Codec.utf8());
  }

  protected TieredCacheBuilder<String, String> builder(String name, Codec<String> values) {
    return TieredCache.builder().name(name).keyCodec(Codec.utf8()).valueCodec(values);
  }

  /** Whether a second instance with the same name shares this set-up's L2 (not for L1 only). */
  protected boolean sharesL2() {
    return true;
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

  // ------------------------------------------------------------------ tags

  /** Waits up to 5 s for {@code condition} (the invalidation channel is asynchronous). */
  static void eventually(String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 5 s: " + what);
      }
      sleep(5);
    }
  }

  @Test
  void invalidateByTagDropsTaggedEntriesHereOnAnotherInstanceAndInL2() {
    String name = "tags-" + UUID.randomUUID();
    TieredCache<String, String> a = track(withL2(builder(name)).build());
    TieredCache<String, String> b = track(withL2(builder(name)).build());
    a.put("p1", "1", Set.of("product:1"));
    a.put("p2", "2", Set.of("product:1", "category:7"));
    a.put("p3", "3", Set.of("category:7"));
    a.put("p4", "4");
    assertThat(a.get("p5", k -> "5", Set.of("product:1"))).isEqualTo("5");
    assertThat(a.get("p6", k -> null, Set.of("product:1"))).isNull(); // a tagged negative entry
    if (sharesL2()) {
      for (String k : List.of("p1", "p2", "p3", "p4", "p5")) {
        assertThat(b.get(k, x -> "loaded by b")).as(k).isNotEqualTo("loaded by b"); // into b's L1 from L2
      }
    }

    a.invalidateByTag("product:1");

    for (String k : List.of("p1", "p2", "p5")) {
      assertThat(a.getIfPresent(k)).as(k).isNull();
    }
    assertThat(a.get("p6", k -> "found now")).isEqualTo("found now");
    assertThat(a.getIfPresent("p3")).isEqualTo("3");
    assertThat(a.getIfPresent("p4")).isEqualTo("4");
    if (sharesL2()) {
      eventually("b drops the tagged entries", () -> b.getIfPresent("p1") == null && b.getIfPresent("p2") == null
          && b.getIfPresent("p5") == null);
      assertThat(b.getIfPresent("p3")).isEqualTo("3");
      assertThat(b.getIfPresent("p4")).isEqualTo("4");
      // a third instance has nothing in L1: what it reads is L2
      TieredCache<String, String> c = track(withL2(builder(name)).build());
      assertThat(c.getIfPresent("p1")).isNull();
      assertThat(c.getIfPresent("p2")).isNull();
      assertThat(c.getIfPresent("p5")).isNull();
      assertThat(c.getIfPresent("p3")).isEqualTo("3");
      assertThat(c.getIfPresent("p4")).isEqualTo("4");
    }
    // other tags still work after one was invalidated, and a tag can be used again
    a.invalidateByTag("category:7");
    assertThat(a.getIfPresent("p3")).isNull();
    a.put("p1", "1b", Set.of("product:1"));
    assertThat(a.getIfPresent("p1")).isEqualTo("1b");
    a.invalidateByTag("product:1");
    assertThat(a.getIfPresent("p1")).isNull();
    a.invalidateByTag("never-used");
  }

  @Test
  void anotherInstancesTagInvalidationDropsWhatThisOnePut() {
    if (!sharesL2()) {
      return; // separate L1-only instances share nothing
    }
    String name = "tags-" + UUID.randomUUID();
    TieredCache<String, String> a = track(withL2(builder(name)).build());
    TieredCache<String, String> b = track(withL2(builder(name)).build());
    a.put("k1", "1", Set.of("t"));
    a.put("k2", "2", Set.of("other"));
    b.invalidateByTag("t");
    eventually("a drops k1", () -> a.getIfPresent("k1") == null);
    assertThat(a.getIfPresent("k2")).isEqualTo("2");
  }

  @Test
  void tagsAreCheckedWithClearMessages() {
    TieredCache<String, String> cache = cache();
    assertThatThrownBy(() -> cache.put("k", "v", null)).isInstanceOf(NullPointerException.class)
        .hasMessage("tags must not be null");
    assertThatThrownBy(() -> cache.put("k", "v", new java.util.HashSet<>(java.util.Arrays.asList("a", null))))
        .isInstanceOf(NullPointerException.class).hasMessage("tags must not contain null");
    assertThatThrownBy(() -> cache.put("k", "v", Set.of(""))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tag must not be empty");
    assertThatThrownBy(() -> cache.put("k", "v", Set.of("x".repeat(257))))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("tag length must be at most 256 but was 257");
    Set<String> many = new LinkedHashSet<>();
    for (int i = 0; i < 33; i++) {
      many.add("t" + i);
    }
    assertThatThrownBy(() -> cache.put("k", "v", many)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tags must hold at most 32 tags but held 33");
    assertThatThrownBy(() -> cache.get("k", k -> "v", Set.of(""))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tag must not be empty");
    assertThatThrownBy(() -> cache.get("k", null, Set.of("t"))).isInstanceOf(NullPointerException.class)
        .hasMessage("loader must not be null");
    assertThatThrownBy(() -> cache.invalidateByTag(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("tag must not be null");
    assertThatThrownBy(() -> cache.invalidateByTag("")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tag must not be empty");
    assertThat(cache.getIfPresent("k")).isNull();
    cache.put("k", "v", Set.of()); // no tags: a plain put
    assertThat(cache.getIfPresent("k")).isEqualTo("v");
  }

  @Test
  void tagInvalidationsAreCounted() {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    String name = "tags-" + UUID.randomUUID();
    TieredCache<String, String> a = track(withL2(builder(name))
        .telemetry(dev.scaleblocks.core.Telemetry.of(registry)).build());
    a.put("k1", "1", Set.of("t"));
    a.put("k2", "2", Set.of("t"));
    a.put("k3", "3");
    a.invalidateByTag("t");
    assertThat(registry.get("scaleblocks.cache.tag.invalidations").tag("origin", "local").functionCounter().count())
        .isEqualTo(1.0);
    assertThat(registry.get("scaleblocks.cache.tag.entries").tag("tier", "l1").functionCounter().count())
        .isEqualTo(2.0);
    assertThat(registry.get("scaleblocks.cache.tag.entries").tag("tier", "l2").functionCounter().count())
        .isEqualTo(sharesL2() ? 2.0 : 0.0);
  }

  /**
   * Writers put fresh keys with a tag while another thread invalidates the tag over and over:
   * every put that returned before an invalidation began is gone when it returns, and after the
   * race one more invalidation finds every key (no put left a tagged value outside its tag set).
   */
  /** L2 writes of {@code cache} that did not reach Redis so far. */
  private static long writeFailures(TieredCache<String, String> cache) {
    return ((DefaultTieredCache<String, String>) cache).metrics.l2WriteFailures.sum();
  }

  /**
   * With an L2, a key whose encoding starts with the prefix of the tag sets is refused before it
   * reaches Redis: written, it would overwrite a tag's set (and the tag would lose its members);
   * read, Redis would answer WRONGTYPE, a failure for the breaker.
   */
  @Test
  void aKeyNamingATagSetIsRefused() {
    TieredCache<String, String> cache = track(withL2(builder("reserved-" + UUID.randomUUID())).build());
    String reserved = "\0tag\0t";
    if (!sharesL2()) {
      cache.put(reserved, "v"); // no tag set to collide with
      assertThat(cache.getIfPresent(reserved)).isEqualTo("v");
      return;
    }
    cache.put("k", "v", Set.of("t"));
    assertThatThrownBy(() -> cache.put(reserved, "x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("but was \\0tag\\0t");
    assertThatThrownBy(() -> cache.get(reserved, k -> "x")).isInstanceOf(IllegalArgumentException.class);
    assertThat(cache.get("\0tags", k -> "fine")).isEqualTo("fine"); // only the whole prefix is reserved
    cache.invalidateByTag("t");
    assertThat(cache.getIfPresent("k")).isNull();
    assertThat(track(withL2(builder(cache.name())).build()).get("k", k -> "reloaded")).isEqualTo("reloaded");
  }

  @Test
  void putRacingInvalidateByTagLeavesNoSurvivor() throws Exception {
    String name = "tags-race-" + UUID.randomUUID();
    TieredCache<String, String> a = track(withL2(builder(name)).build());
    int writers = 2;
    int perWriter = 400;
    java.util.concurrent.ConcurrentLinkedQueue<String> done = new java.util.concurrent.ConcurrentLinkedQueue<>();
    java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
    List<String> survivors = java.util.Collections.synchronizedList(new ArrayList<>());
    List<String> survivorsAfterFailedWrites = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int id = w;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < perWriter; i++) {
            String k = "w" + id + "-" + i;
            a.put(k, "v", Set.of("race"));
            done.add(k);
          }
        }));
      }
      Future<?> inv = pool.submit(() -> {
        while (writing.get()) {
          List<String> before = new ArrayList<>(done);
          long failedBefore = writeFailures(a);
          a.invalidateByTag("race");
          for (String k : before) {
            if (a.getIfPresent(k) != null) {
              // a write that missed Redis (an L2 timeout on a loaded machine) is repaired later,
              // as the cache guide says: only a survivor while every write reached Redis is a bug
              (writeFailures(a) == 0 ? survivors : survivorsAfterFailedWrites).add(k + " (write failures "
                  + failedBefore + " before, " + writeFailures(a) + " after)");
            }
          }
        }
      });
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
      writing.set(false);
      inv.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertThat(survivors).as("puts done before an invalidation began, still there after it").isEmpty();
    if (!survivorsAfterFailedWrites.isEmpty()) {
      System.out.println("tag race: survivors while L2 writes had failed (repaired below): " + survivorsAfterFailedWrites);
    }
    ((DefaultTieredCache<String, String>) a).repair();
    a.invalidateByTag("race");
    List<String> left = new ArrayList<>();
    for (String k : done) {
      if (a.getIfPresent(k) != null) {
        left.add(k);
      }
    }
    assertThat(left).as("tagged values a later invalidation did not find").isEmpty();
    if (sharesL2()) {
      TieredCache<String, String> fresh = track(withL2(builder(name)).build());
      for (String k : done) {
        assertThat(fresh.getIfPresent(k)).as(k).isNull();
      }
    }
  }

  /**
   * Readers load 20 tagged keys from a "database" whose generation an invalidator bumps before
   * each tag invalidation: once the race is over, no instance serves (nor L2 holds) a value of an
   * older generation, so no load that raced an invalidation refilled a stale value.
   */
  @Test
  void loadRacingInvalidateByTagRefillsNothingStale() throws Exception {
    String name = "tags-load-" + UUID.randomUUID();
    TieredCache<String, String> a = track(withL2(builder(name)).build());
    TieredCache<String, String> b = sharesL2() ? track(withL2(builder(name)).build()) : a;
    AtomicInteger generation = new AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.function.Function<String, String> loader = k -> {
      String v = k + "@" + generation.get();
      sleep(1);
      return v;
    };
    ExecutorService pool = Executors.newFixedThreadPool(5);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int r = 0; r < 4; r++) {
        TieredCache<String, String> on = r % 2 == 0 ? a : b;
        int seed = r;
        fs.add(pool.submit(() -> {
          java.util.Random random = new java.util.Random(seed);
          while (running.get()) {
            on.get("k" + random.nextInt(20), loader, Set.of("db"));
          }
        }));
      }
      fs.add(pool.submit(() -> {
        for (int i = 0; i < 150; i++) {
          generation.incrementAndGet();
          a.invalidateByTag("db");
          sleep(3);
        }
        running.set(false);
      }));
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      running.set(false);
      pool.shutdownNow();
    }
    String current = "@" + generation.get();
    for (TieredCache<String, String> on : sharesL2() ? List.of(a, b) : List.of(a)) {
      eventually("no stale value on " + (on == a ? "a" : "b") + ": " + staleOn(on, current), () -> {
        for (int i = 0; i < 20; i++) {
          String v = on.getIfPresent("k" + i);
          if (v != null && !v.endsWith(current)) {
            return false;
          }
        }
        return true;
      });
    }
    if (sharesL2()) {
      TieredCache<String, String> fresh = track(withL2(builder(name)).build());
      for (int i = 0; i < 20; i++) {
        String v = fresh.getIfPresent("k" + i);
        assertThat(v == null || v.endsWith(current)).as("L2 k" + i + " = " + v + ", now " + current).isTrue();
      }
    }
  }

  private static String staleOn(TieredCache<String, String> on, String current) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      String l1 = on instanceof DefaultTieredCache<String, String> d ? d.peekL1("k" + i) : null;
      String v = on.getIfPresent("k" + i);
      if (v != null && !v.endsWith(current)) {
        out.append("k").append(i).append('=').append(v).append(" (L1 ").append(l1).append(") ");
      }
    }
    if (on instanceof DefaultTieredCache<String, String> d) {
      out.append("pendingTags=").append(d.pendingTags()).append(" repairs=").append(d.pendingRepairs()).append(' ');
    }
    return out + "now " + current;
  }

  /**
   * {@code cache} once its invalidation subscription is up: the first subscription clears the L1
   * (which makes a load in flight skip both tiers), and on a busy Cluster it may come after build.
   */
  private TieredCache<String, String> subscribed(TieredCache<String, String> cache) {
    if (sharesL2()) {
      await().atMost(Duration.ofSeconds(10)).until(((DefaultTieredCache<String, String>) cache)::invalidationConnected);
    }
    return cache;
  }

  /** A builder whose values expire after 300 ms and are kept a minute for stale-if-error. */
  private TieredCacheBuilder<String, String> shortLived(String name) {
    // long enough that what a load wrote is still in L2 when a second instance, built afterwards on a
    // loaded machine, reads it (300 ms was not, once); short enough to wait out
    return builder(name).l1Ttl(Duration.ofSeconds(1)).l2Ttl(Duration.ofSeconds(1)).ttlJitter(0)
        .staleIfError(Duration.ofMinutes(1));
  }

  /** A loader that counts its calls and returns {@code value} once {@code release} opens. */
  static Function<String, String> blocked(CountDownLatch release, AtomicInteger loads, String value) {
    return k -> {
      loads.incrementAndGet();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return value;
    };
  }

  @Test
  void softTimeoutServesTheStaleValueThenTheLoadUpdatesBothTiers() {
    String name = "soft-" + UUID.randomUUID();
    TieredCache<String, String> a =
        subscribed(track(withL2(shortLived(name).loadSoftTimeout(Duration.ofMillis(50))).build()));
    a.put("k", "v1");
    sleep(1_100); // expired, kept for stale-if-error
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger loads = new AtomicInteger();
    try {
      assertThat(a.get("k", blocked(release, loads, "v2"))).isEqualTo("v1");
      assertThat(a.getAsync("k", blocked(release, loads, "v3")).join()).isEqualTo("v1"); // joins the load
    } finally {
      release.countDown();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> "v2".equals(a.getIfPresent("k")));
    if (sharesL2()) {
      TieredCache<String, String> b = track(withL2(builder(name)).build());
      await().atMost(Duration.ofSeconds(5)).until(() -> "v2".equals(b.getIfPresent("k")));
    }
    assertThat(loads).hasValue(1);
  }

  @Test
  void hardTimeoutServesTheStaleValueOrFailsAndTheLoadStillLands() throws Exception {
    String name = "hard-" + UUID.randomUUID();
    TieredCache<String, String> cache = subscribed(track(withL2(shortLived(name)).build()));
    cache.put("k", "v1");
    sleep(1_100);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger loads = new AtomicInteger();
    LoadTimeouts hard = LoadTimeouts.hard(Duration.ofMillis(100));
    try {
      assertThat(cache.get("k", blocked(release, loads, "v2"), hard)).isEqualTo("v1");
      assertThatThrownBy(() -> cache.get("cold", blocked(release, loads, "c"), hard))
          .isInstanceOf(CacheLoadTimeoutException.class).hasMessageContaining(name).hasMessageNotContaining("cold");
      CompletableFuture<String> async = cache.getAsync("cold2", blocked(release, loads, "c2"), hard);
      assertThatThrownBy(() -> async.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(CacheLoadTimeoutException.class);
    } finally {
      release.countDown();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> "c".equals(cache.getIfPresent("cold"))
        && "c2".equals(cache.getIfPresent("cold2")) && "v2".equals(cache.getIfPresent("k")));
    if (sharesL2()) {
      TieredCache<String, String> b = track(withL2(builder(name)).build());
      await().atMost(Duration.ofSeconds(5)).until(() -> "c".equals(b.getIfPresent("cold")));
    }
  }

  @Test
  void asyncLoaderRunsOnceForConcurrentCallersAndFillsBothTiers() throws Exception {
    String name = "async-loader-" + UUID.randomUUID();
    TieredCache<String, String> cache = subscribed(track(withL2(builder(name)).build()));
    CompletableFuture<String> source = new CompletableFuture<>();
    AtomicInteger loads = new AtomicInteger();
    int callers = 32;
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<CompletableFuture<String>> results = new ArrayList<>();
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<CompletableFuture<String>>> calls = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        calls.add(pool.submit(() -> {
          start.await();
          return cache.getAsyncLoading("hot", k -> {
            loads.incrementAndGet();
            return source;
          });
        }));
      }
      start.countDown();
      for (Future<CompletableFuture<String>> c : calls) {
        results.add(c.get(5, TimeUnit.SECONDS)); // each call returned without waiting for the load
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(results).noneMatch(CompletableFuture::isDone);
    source.complete("value");
    for (CompletableFuture<String> r : results) {
      assertThat(r.get(5, TimeUnit.SECONDS)).isEqualTo("value");
    }
    assertThat(loads).hasValue(1);
    assertThat(cache.getAsyncLoading("hot", k -> CompletableFuture.completedFuture("again")).get(5, TimeUnit.SECONDS))
        .isEqualTo("value");
    if (sharesL2()) {
      TieredCache<String, String> b = track(withL2(builder(name)).build());
      await().atMost(Duration.ofSeconds(5)).until(() -> "value".equals(b.getIfPresent("hot")));
    }
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
