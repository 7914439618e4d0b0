package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Loader timeouts and the async loader on an L1-only cache. Expiry is driven by a fake ticker; the
 * timeouts themselves are real waits (a caller parks until them), so a blocked loader stands for a
 * slow one and nothing here asserts how long a call took.
 */
class LoadTimeoutsTest {

  private final FakeTicker ticker = new FakeTicker();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger loads = new AtomicInteger();
  private TieredCache<String, String> cache;

  private TieredCacheBuilder<Object, Object> builder() {
    return TieredCache.builder().name("timeouts-test").ticker(ticker).ttlJitter(0)
        .l1Ttl(Duration.ofSeconds(10)).staleIfError(Duration.ofMinutes(1))
        .telemetry(Telemetry.of(registry));
  }

  /** A loader that waits until {@link #release} opens, then returns {@code value}. */
  private Function<String, String> slow(String value) {
    return TieredCacheContract.blocked(release, loads, value);
  }

  private double timeouts(String timeout, String result) {
    return registry.get("scaleblocks.cache.load.timeouts")
        .tags("cache", "timeouts-test", "timeout", timeout, "result", result).functionCounter().count();
  }

  @AfterEach
  void close() {
    release.countDown();
    if (cache != null) {
      cache.close();
    }
  }

  /** Puts {@code v1} and lets it expire into its stale-if-error window. */
  private void staleV1() {
    cache.put("k", "v1");
    ticker.advanceSeconds(11);
  }

  @Test
  void softTimeoutServesTheStaleValueAndTheLoadLandsAfterwards() {
    cache = builder().loadSoftTimeout(Duration.ofMillis(20)).build();
    staleV1();
    assertThat(cache.get("k", slow("v2"))).isEqualTo("v1");
    assertThat(timeouts("soft", "stale")).isEqualTo(1);
    assertThat(cache.getIfPresent("k")).isNull(); // still loading: nothing fresh yet
    release.countDown();
    await().atMost(Duration.ofSeconds(5)).until(() -> "v2".equals(cache.getIfPresent("k")));
    assertThat(loads).hasValue(1);
    assertThat(cache.get("k", k -> "v3")).isEqualTo("v2");
  }

  @Test
  void softTimeoutWithoutAStaleValueKeepsWaiting() throws Exception {
    cache = builder().loadSoftTimeout(Duration.ofMillis(5)).build();
    CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> cache.get("k", slow("v")));
    Thread.sleep(50);
    assertThat(call).isNotDone();
    release.countDown();
    assertThat(call.get(5, TimeUnit.SECONDS)).isEqualTo("v");
    assertThat(timeouts("soft", "stale")).isZero();
  }

  @Test
  void hardTimeoutWithoutAStaleValueThrowsAndTheLoadStillFillsTheCache() {
    cache = builder().loadHardTimeout(Duration.ofMillis(20)).build();
    assertThatThrownBy(() -> cache.get("k", slow("v")))
        .isInstanceOf(CacheLoadTimeoutException.class)
        .hasMessage("cache timeouts-test: load did not finish within the hard timeout of 20 ms and no stale value"
            + " was available")
        .satisfies(e -> {
          CacheLoadTimeoutException t = (CacheLoadTimeoutException) e;
          assertThat(t.cacheName()).isEqualTo("timeouts-test");
          assertThat(t.timeout()).isEqualTo(Duration.ofMillis(20));
        });
    assertThat(timeouts("hard", "exception")).isEqualTo(1);
    release.countDown();
    await().atMost(Duration.ofSeconds(5)).until(() -> "v".equals(cache.getIfPresent("k")));
    assertThat(loads).hasValue(1);
  }

  @Test
  void hardTimeoutServesTheStaleValueWhenThereIsOne() {
    cache = builder().build();
    staleV1();
    assertThat(cache.get("k", slow("v2"), LoadTimeouts.hard(Duration.ofMillis(20)))).isEqualTo("v1");
    assertThat(timeouts("hard", "stale")).isEqualTo(1);
  }

  @Test
  void perCallTimeoutsReplaceTheCachesOnes() throws Exception {
    cache = builder().loadHardTimeout(Duration.ofMillis(5)).build();
    CompletableFuture<String> call =
        CompletableFuture.supplyAsync(() -> cache.get("k", slow("v"), LoadTimeouts.none()));
    Thread.sleep(50);
    assertThat(call).isNotDone();
    release.countDown();
    assertThat(call.get(5, TimeUnit.SECONDS)).isEqualTo("v");
  }

  @Test
  void aWaiterAppliesItsOwnTimeoutsToAnotherCallersLoad() throws Exception {
    cache = builder().build();
    CompletableFuture<String> leader = CompletableFuture.supplyAsync(() -> cache.get("k", slow("v")));
    await().atMost(Duration.ofSeconds(5)).until(() -> loads.get() == 1);
    assertThatThrownBy(() -> cache.get("k", k -> "never", LoadTimeouts.hard(Duration.ofMillis(20))))
        .isInstanceOf(CacheLoadTimeoutException.class);
    release.countDown();
    assertThat(leader.get(5, TimeUnit.SECONDS)).isEqualTo("v");
    assertThat(loads).hasValue(1);
  }

  @Test
  void getAsyncCompletesAtTheTimeouts() throws Exception {
    cache = builder().build();
    staleV1();
    assertThat(cache.getAsync("k", slow("v2"), LoadTimeouts.soft(Duration.ofMillis(20))).get(5, TimeUnit.SECONDS))
        .isEqualTo("v1");
    CompletableFuture<String> none = cache.getAsync("cold", slow("c"), LoadTimeouts.hard(Duration.ofMillis(20)));
    assertThatThrownBy(() -> none.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(CacheLoadTimeoutException.class);
    release.countDown();
    await().atMost(Duration.ofSeconds(5)).until(() -> "v2".equals(cache.getIfPresent("k"))
        && "c".equals(cache.getIfPresent("cold")));
  }

  @Test
  void asyncLoaderIsCalledOnceForConcurrentCallersAndBlocksNoThread() throws Exception {
    cache = builder().build();
    CompletableFuture<String> source = new CompletableFuture<>();
    List<CompletableFuture<String>> calls = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      calls.add(cache.getAsyncLoading("k", k -> {
        loads.incrementAndGet();
        return source;
      }));
    }
    assertThat(loads).hasValue(1);
    assertThat(calls).noneMatch(CompletableFuture::isDone); // every call returned without waiting
    source.complete("v");
    for (CompletableFuture<String> c : calls) {
      assertThat(c.get(5, TimeUnit.SECONDS)).isEqualTo("v");
    }
    assertThat(cache.get("k", k -> "other")).isEqualTo("v");
  }

  /**
   * An async call served the stale value at its soft timeout is counted before its caller sees the
   * value: read right after each call, the meter has counted every one of them. (It used to be
   * counted after the future completed, and a caller reading the meter at once could find it one
   * short.)
   */
  @Test
  void anAsyncTimeoutIsCountedBeforeItsCallerSeesIt() throws Exception {
    cache = builder().build();
    for (int i = 1; i <= 300; i++) {
      String key = "k" + i;
      cache.put(key, "v1");
      ticker.advanceSeconds(11);
      CompletableFuture<String> never = new CompletableFuture<>();
      assertThat(cache.getAsyncLoading(key, k -> never, LoadTimeouts.soft(Duration.ofMillis(1)))
          .get(5, TimeUnit.SECONDS)).isEqualTo("v1");
      assertThat(timeouts("soft", "stale")).as("counted after %d timeouts", i).isEqualTo(i);
    }
  }

  @Test
  void asyncLoaderFailuresAndTimeouts() throws Exception {
    cache = builder().build();
    CompletableFuture<String> failed = cache.getAsyncLoading("k",
        k -> CompletableFuture.failedFuture(new IllegalStateException("database down")));
    assertThatThrownBy(() -> failed.get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(IllegalStateException.class).hasRootCauseMessage("database down");
    assertThat(cache.getIfPresent("k")).isNull();

    staleV1();
    assertThat(cache.getAsyncLoading("k", k -> CompletableFuture.failedFuture(new IllegalStateException("down")))
        .get(5, TimeUnit.SECONDS)).isEqualTo("v1"); // stale-if-error
    CompletableFuture<String> never = new CompletableFuture<>();
    assertThat(cache.getAsyncLoading("k", k -> never, LoadTimeouts.soft(Duration.ofMillis(20)))
        .get(5, TimeUnit.SECONDS)).isEqualTo("v1");
    assertThat(timeouts("soft", "stale")).isEqualTo(1);
    never.complete("v2");
    assertThat(cache.getIfPresent("k")).isEqualTo("v2");

    CompletableFuture<String> nothing = cache.getAsyncLoading("cold", k -> new CompletableFuture<>(),
        LoadTimeouts.hard(Duration.ofMillis(20)));
    assertThatThrownBy(() -> nothing.get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(CacheLoadTimeoutException.class);
    assertThatThrownBy(() -> cache.getAsyncLoading("n", k -> null).get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(NullPointerException.class)
        .hasRootCauseMessage("loader must return a CompletionStage but returned null");
  }

  @Test
  void asyncLoaderNullCachesANegativeEntry() throws Exception {
    cache = builder().build();
    assertThat(cache.getAsyncLoading("k", k -> {
      loads.incrementAndGet();
      return CompletableFuture.completedFuture(null);
    }).get(5, TimeUnit.SECONDS)).isNull();
    assertThat(cache.getAsyncLoading("k", k -> CompletableFuture.completedFuture("late")).get(5, TimeUnit.SECONDS))
        .isNull();
    assertThat(loads).hasValue(1);
  }

  @Test
  void optionsAreCheckedAtOnce() {
    assertThatThrownBy(() -> TieredCache.builder().loadSoftTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("loadSoftTimeout must be positive but was PT0S");
    assertThatThrownBy(() -> TieredCache.builder().loadHardTimeout(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("loadHardTimeout must be positive but was PT-0.001S");
    assertThatThrownBy(() -> TieredCache.builder().loadHardTimeout(Duration.ofSeconds(1))
        .loadSoftTimeout(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("loadSoftTimeout must be shorter than loadHardTimeout PT1S but was PT1S");
    assertThatThrownBy(() -> TieredCache.builder().loadSoftTimeout(Duration.ofSeconds(2))
        .loadHardTimeout(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("loadSoftTimeout must be shorter than loadHardTimeout PT1S but was PT2S");
    assertThatThrownBy(() -> TieredCache.builder().loadSoftTimeout(Duration.ofSeconds(1))
        .loadSoftTimeout(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class).hasMessage("loadSoftTimeout was already set to PT1S");
    assertThatThrownBy(() -> LoadTimeouts.of(Duration.ofSeconds(3), Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("soft must be shorter than hard PT2S but was PT3S");
    assertThatThrownBy(() -> LoadTimeouts.hard(null))
        .isInstanceOf(NullPointerException.class).hasMessage("hard must not be null");
    assertThat(LoadTimeouts.of(Duration.ofMillis(10), Duration.ofSeconds(1)).soft()).contains(Duration.ofMillis(10));
    assertThat(LoadTimeouts.none().hard()).isEmpty();
    cache = builder().build();
    assertThatThrownBy(() -> cache.get("k", k -> "v", (LoadTimeouts) null))
        .isInstanceOf(NullPointerException.class).hasMessage("timeouts must not be null");
    assertThatThrownBy(() -> cache.getAsyncLoading("k", null))
        .isInstanceOf(NullPointerException.class).hasMessage("loader must not be null");
  }
}
