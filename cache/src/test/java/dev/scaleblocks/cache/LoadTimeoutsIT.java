package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.codec.Codec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/**
 * How close to its soft timeout a caller gets the stale value, with 16 threads keeping both cores
 * busy (and with one busy thread per core): each call finds an expired value (kept for stale-if-error) whose load never finishes while
 * measured, on L1 + standalone Redis over Jedis and on L1 only. Prints p50/p99/max of (returned at − soft
 * timeout) and asserts a generous bound.
 */
class LoadTimeoutsIT {

  private static final int CALLS = 250;
  private static final int WARM_UP = 20;
  private static final Duration SOFT = Duration.ofMillis(20);

  private static RedisClient client;

  @BeforeAll
  static void connect() {
    client = RedisClients.standalone();
  }

  @AfterAll
  static void disconnect() {
    client.close();
  }

  @Test
  void staleValuesComeAtTheSoftTimeoutUnderLoad() throws Exception {
    measure(true, 16);
  }

  @Test
  void staleValuesComeAtTheSoftTimeoutUnderLoadWithoutRedis() throws Exception {
    measure(false, 16);
  }

  /** One busy thread per core: the CPU saturated but not oversubscribed, so the tail is the timer's. */
  @Test
  void staleValuesComeAtTheSoftTimeoutWithEveryCoreBusy() throws Exception {
    measure(true, Runtime.getRuntime().availableProcessors());
  }

  private void measure(boolean redis, int busyThreads) throws Exception {
    String name = "soft-timing-" + UUID.randomUUID();
    CountDownLatch release = new CountDownLatch(1);
    Function<String, String> stuck = k -> {
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "new";
    };
    AtomicBoolean busy = new AtomicBoolean(true);
    List<Thread> spinners = new ArrayList<>();
    TieredCacheBuilder<String, String> builder = TieredCache.builder().name(name)
        .keyCodec(Codec.utf8()).valueCodec(Codec.utf8());
    if (redis) {
      builder.redis(client);
    }
    try (TieredCache<String, String> cache = builder
        .l1Ttl(Duration.ofMillis(200)).l2Ttl(Duration.ofMillis(200)).ttlJitter(0)
        .staleIfError(Duration.ofMinutes(5)).loadSoftTimeout(SOFT)
        .asyncThreads(4, 4 * (CALLS + WARM_UP)).build()) {
      for (int i = 0; i < 2 * CALLS; i++) {
        cache.put("k" + i, "old");
      }
      for (int i = 0; i < 2 * WARM_UP; i++) {
        cache.put("w" + i, "old");
      }
      Thread.sleep(400); // every value expired, kept for stale-if-error
      for (int t = 0; t < busyThreads; t++) {
        Thread spinner = new Thread(() -> {
          long x = 0;
          while (busy.get()) {
            x += System.nanoTime() % 7;
          }
          if (x == 42) {
            System.out.print("");
          }
        }, "spinner-" + t);
        spinner.setDaemon(true);
        spinner.start();
        spinners.add(spinner);
      }
      for (int i = 0; i < WARM_UP; i++) { // not measured: class loading and the first compilations
        assertThat(cache.get("w" + i, stuck)).isEqualTo("old");
        assertThat(cache.getAsync("w" + (WARM_UP + i), stuck).get(5, TimeUnit.SECONDS)).isEqualTo("old");
      }
      long[] sync = new long[CALLS];
      long[] async = new long[CALLS];
      for (int i = 0; i < CALLS; i++) {
        long start = System.nanoTime();
        assertThat(cache.get("k" + i, stuck)).isEqualTo("old");
        sync[i] = System.nanoTime() - start - SOFT.toNanos();
        start = System.nanoTime();
        assertThat(cache.getAsync("k" + (CALLS + i), stuck).get(5, TimeUnit.SECONDS)).isEqualTo("old");
        async[i] = System.nanoTime() - start - SOFT.toNanos();
      }
      busy.set(false);
      for (Thread s : spinners) {
        s.join();
      }
      String where = redis ? "L1 + Redis (Jedis)" : "L1 only";
      print(where + ", get", busyThreads, sync);
      print(where + ", getAsync", busyThreads, async);
      // the bound is on the median: on this shared 2-core machine the tail is the caller's wait for
      // a CPU (and, with Redis, the Redis server's), which no timer can shorten
      assertThat(median(sync)).isLessThan(TimeUnit.MILLISECONDS.toNanos(50));
      assertThat(median(async)).isLessThan(TimeUnit.MILLISECONDS.toNanos(50));
      assertThat(Arrays.stream(sync).min().orElseThrow()).isGreaterThanOrEqualTo(0);
      if (!redis) {
        return;
      }

      // the loads handed off by get finish after their callers left and, unless an L1 clear raced
      // them (a starved heartbeat under this load can cause one), fill both tiers; the contract
      // suite asserts that on a quiet machine, here it is only counted
      release.countDown();
      try (TieredCache<String, String> other = TieredCache.builder().name(name)
          .keyCodec(Codec.utf8()).valueCodec(Codec.utf8()).redis(client).build()) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int landed = 0;
        while (System.nanoTime() < until) {
          landed = 0;
          for (int i = 0; i < CALLS; i++) {
            landed += "new".equals(other.getIfPresent("k" + i)) ? 1 : 0;
          }
          if (landed == CALLS) {
            break;
          }
          Thread.sleep(200);
        }
        System.out.printf("loads finished after their callers left, read from L2 by another instance: %d of %d%n",
            landed, CALLS);
      }
    } finally {
      busy.set(false);
      release.countDown();
    }
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static void print(String op, int busyThreads, long[] lateness) {
    long[] sorted = lateness.clone();
    Arrays.sort(sorted);
    System.out.printf("soft timeout %d ms, %s, %d calls, %d busy threads, load average %.1f: returned after"
            + " the soft timeout by p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", SOFT.toMillis(), op, sorted.length,
        busyThreads,
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        sorted[sorted.length / 2] / 1e6, sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6,
        sorted[sorted.length - 1] / 1e6);
  }
}
