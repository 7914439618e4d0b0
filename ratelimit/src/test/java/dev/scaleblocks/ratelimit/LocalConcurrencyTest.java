package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Many threads on one key of the local store, with time frozen between rounds: the number of
 * admissions is exact (not merely bounded), so a lost update or a double grant fails the test.
 */
class LocalConcurrencyTest {

  private static final int THREADS = 8;
  private static final int ATTEMPTS_PER_THREAD = 2_000;

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void concurrentAdmissionsAreExact(Algorithm algorithm) throws Exception {
    FakeTicker ticker = new FakeTicker(TimeUnit.DAYS.toNanos(1000));
    RateLimitPolicy policy = RateLimitPolicy.builder("stress").algorithm(algorithm)
        .limit(1000, Duration.ofSeconds(1))
        .limit(2500, Duration.ofMinutes(1))
        .build();
    RateLimiter limiter = RateLimiter.builder(policy).local().ticker(ticker).build();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      // round 1: a fresh key admits exactly the per-second quota
      assertThat(round(pool, limiter, 1)).isEqualTo(1000);
      // round 2, two seconds later: the per-second limit is back (for the sliding window its
      // previous window is empty), the minute has 1500 left and more for the bucket algorithms
      ticker.advanceMillis(2000);
      assertThat(round(pool, limiter, 1)).isEqualTo(1000);
      // round 3: the minute limit binds at 500 more (+ 83 refilled for the bucket algorithms)
      ticker.advanceMillis(2000);
      long expected3 = switch (algorithm) {
        case FIXED_WINDOW, SLIDING_WINDOW -> 500;
        case TOKEN_BUCKET, GCRA -> 500 + (4000 * 2500 / 60_000);
      };
      assertThat(round(pool, limiter, 1)).isEqualTo(expected3);
      // round 4: several permits at a time, minute exhausted: nothing
      assertThat(round(pool, limiter, 3)).isZero();
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * One limit (the store's unrolled path, no StoreAnswer) through both entry points at once: half the
   * threads call {@code tryAcquire}, half {@code allow}, on one key whose counters are changed in
   * place under its lock; the admissions add up to the quota exactly.
   */
  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void singleLimitAdmissionsAreExactThroughBothEntryPoints(Algorithm algorithm) throws Exception {
    FakeTicker ticker = new FakeTicker(TimeUnit.DAYS.toNanos(1000));
    RateLimitPolicy policy = RateLimitPolicy.builder("stress-one").algorithm(algorithm)
        .limit(5000, Duration.ofSeconds(1))
        .build();
    RateLimiter limiter = RateLimiter.builder(policy).local().ticker(ticker).build();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      for (int r = 0; r < 3; r++) {
        assertThat(mixedRound(pool, limiter)).as("round %d", r).isEqualTo(5000);
        ticker.advanceMillis(2000);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static long mixedRound(ExecutorService pool, RateLimiter limiter) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    AtomicLong admitted = new AtomicLong();
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      boolean primitive = t % 2 == 0;
      futures.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < ATTEMPTS_PER_THREAD; i++) {
          if (primitive ? limiter.allow("hot") : limiter.tryAcquire("hot").allowed()) {
            admitted.incrementAndGet();
          }
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
    return admitted.get();
  }

  private static long round(ExecutorService pool, RateLimiter limiter, long permits)
      throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    AtomicLong admitted = new AtomicLong();
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      futures.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < ATTEMPTS_PER_THREAD; i++) {
          if (limiter.tryAcquire("hot", permits).allowed()) {
            admitted.addAndGet(permits);
          }
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
    return admitted.get();
  }
}
