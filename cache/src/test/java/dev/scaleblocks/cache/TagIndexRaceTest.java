package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Tagged puts racing tag invalidations and clears on one L1: once the race is over, every tagged
 * holder in the map is filed under each of its tags and the index files nothing else, so the next
 * tag invalidation finds every holder.
 */
class TagIndexRaceTest {

  /**
   * A put that starts just after an invalidation of its tag took its number, while that
   * invalidation still walks the index: the put may stay (it came after), but it must stay filed.
   * It used to be taken out of the index by the walk (its holder was filed but not in the map yet),
   * then put, and no later invalidation of its tag could drop it. A weigher that waits (Caffeine
   * weighs before it inserts) holds the puts between filing and map until the walk is over.
   */
  @Test
  void aPutFiledDuringAnInvalidationsWalkStaysFiled() throws Exception {
    CountDownLatch walkOver = new CountDownLatch(1);
    TieredCache<String, String> built = TieredCache.builder().name("tag-walk-race").maximumWeight(10_000_000)
        .<String, String>weigher((k, v) -> {
          if (k.startsWith("late-")) {
            await(walkOver);
          }
          return 1;
        }).build();
    DefaultTieredCache<String, String> cache = (DefaultTieredCache<String, String>) built;
    for (int i = 0; i < 400_000; i++) {
      cache.put("early-" + i, "v", Set.of("race"));
    }
    int late = 8;
    ExecutorService pool = Executors.newFixedThreadPool(late + 1);
    try {
      long before = cache.l1.stamp("any") >>> 40;
      Future<?> invalidation = pool.submit(() -> cache.invalidateByTag("race"));
      while (cache.l1.stamp("any") >>> 40 == before) {
        Thread.onSpinWait(); // the invalidation has its number; its walk over 400 000 holders begins
      }
      List<Future<?>> puts = new ArrayList<>();
      for (int i = 0; i < late; i++) {
        String key = "late-" + i;
        puts.add(pool.submit(() -> cache.put(key, "v", Set.of("race"))));
      }
      invalidation.get(60, TimeUnit.SECONDS);
      walkOver.countDown();
      for (Future<?> f : puts) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      walkOver.countDown();
      pool.shutdownNow();
    }
    assertThat(cache.l1.tagIndexFaults()).as("tag index vs map").isEmpty();
    cache.invalidateByTag("race");
    List<String> left = new ArrayList<>();
    for (int i = 0; i < late; i++) {
      if (cache.getIfPresent("late-" + i) != null) {
        left.add("late-" + i);
      }
    }
    assertThat(left).as("tagged values the next invalidation of their tag did not drop").isEmpty();
    cache.close();
  }

  /** Puts, tag invalidations and clears at random: afterwards the index and the map agree. */
  @RepeatedTest(3)
  void theIndexFilesExactlyTheTaggedHoldersInTheMap() throws Exception {
    TieredCache<String, String> built = TieredCache.builder().name("tag-index-race").maximumSize(1_000_000).build();
    DefaultTieredCache<String, String> cache = (DefaultTieredCache<String, String>) built;
    int writers = 2;
    int perWriter = 20_000;
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int id = w;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < perWriter; i++) {
            cache.put("w" + id + "-" + i, "v", Set.of("race", "t" + (i & 7)));
          }
        }));
      }
      Future<?> inv = pool.submit(() -> {
        int n = 0;
        while (writing.get()) {
          if (++n % 50 == 0) {
            cache.invalidateAll();
          } else {
            cache.invalidateByTag((n & 1) == 0 ? "race" : "t" + (n & 7));
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
    assertThat(cache.l1.tagIndexFaults()).as("tag index vs map").isEmpty();
    cache.invalidateByTag("race");
    List<String> left = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      for (int i = 0; i < perWriter; i++) {
        if (cache.getIfPresent("w" + w + "-" + i) != null) {
          left.add("w" + w + "-" + i);
        }
      }
    }
    assertThat(left).as("tagged values an invalidation of their tag did not drop").isEmpty();
    cache.close();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
