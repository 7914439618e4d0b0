package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.cache.TieredCache;
import dev.scaleblocks.spring.boot.autoconfigure.cache.TieredCacheManager;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.cache.Cache;

/** Caches made on first use: once per name, and one slow creation holds up no other name. */
class TieredCacheManagerTest {

  /** Threads of the test's own: the common pool may have a single worker on a small machine. */
  private final ExecutorService threads = Executors.newFixedThreadPool(8);

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  private static TieredCache<String, Object> l1(String name) {
    return TieredCache.builder().name(name).maximumSize(10).<String, Object>build();
  }

  @Test
  void aSlowCreationHoldsUpNoOtherName() throws Exception {
    CountDownLatch slowStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Function<String, TieredCache<String, Object>> factory = name -> {
      if (name.equals("slow")) {
        slowStarted.countDown(); // e.g. waiting for its first invalidation subscription
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return l1(name);
    };
    TieredCacheManager manager = new TieredCacheManager(Map.of(), List.of(), factory);
    try {
      CompletableFuture<Cache> slow = CompletableFuture.supplyAsync(() -> manager.getCache("slow"), threads);
      assertThat(slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Cache> fast = CompletableFuture.supplyAsync(() -> manager.getCache("fast"), threads);
      assertThat(fast.get(10, TimeUnit.SECONDS)).as("made while another name is being made").isNotNull();
      assertThat(slow).isNotDone();
      release.countDown();
      assertThat(slow.get(10, TimeUnit.SECONDS).getName()).isEqualTo("slow");
    } finally {
      release.countDown();
      manager.destroy();
    }
  }

  @Test
  void concurrentFirstUsesMakeOneCache() throws Exception {
    AtomicInteger made = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    TieredCacheManager manager = new TieredCacheManager(Map.of(), List.of(), name -> {
      made.incrementAndGet();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return l1(name);
    });
    try {
      List<CompletableFuture<Cache>> all = new java.util.ArrayList<>();
      for (int i = 0; i < 8; i++) {
        all.add(CompletableFuture.supplyAsync(() -> manager.getCache("books"), threads));
      }
      Thread.sleep(100);
      release.countDown();
      Cache first = all.get(0).get(10, TimeUnit.SECONDS);
      for (CompletableFuture<Cache> f : all) {
        assertThat(f.get(10, TimeUnit.SECONDS)).isSameAs(first);
      }
      assertThat(made).hasValue(1);
    } finally {
      manager.destroy();
    }
  }

  @Test
  void aFailedCreationIsTriedAgainOnTheNextUse() {
    AtomicInteger calls = new AtomicInteger();
    TieredCacheManager manager = new TieredCacheManager(Map.of(), List.of(), name -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("cache " + name + " keeps values in Redis: set a value type");
      }
      return l1(name);
    });
    try {
      assertThatThrownBy(() -> manager.getCache("books"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("cache books keeps values in Redis: set a value type");
      assertThat(manager.getCache("books")).isNotNull();
    } finally {
      manager.destroy();
    }
  }

  @Test
  void noCacheIsMadeAfterTheManagerIsDestroyed() {
    TieredCacheManager manager = new TieredCacheManager(Map.of(), List.of(), TieredCacheManagerTest::l1);
    manager.destroy();
    assertThatThrownBy(() -> manager.getCache("late"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the cache manager is closed; no cache named late is made");
  }
}
