package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.testing.FakeTicker;
import dev.scaleblocks.ratelimit.throttle.Throttle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The semantics every store must share, under fake time: the same test, the same numbers, for the
 * local store, Redis standalone and Redis Cluster (the Redis stores read the fake clock through a
 * test hook instead of Redis TIME).
 */
abstract class RateLimiterContract {

  /** Starts on a day boundary so that windows of every period used here start together. */
  protected final FakeTicker ticker = new FakeTicker(TimeUnit.DAYS.toNanos(20_000));

  /** Chooses the store under test. */
  protected abstract RateLimiterBuilder store(RateLimiterBuilder builder);

  protected RateLimiter limiter(RateLimitPolicy policy) {
    return store(RateLimiter.builder(policy).ticker(ticker).sleeper(ticker::advanceNanos)).build();
  }

  protected RateLimiter limiter(Algorithm algorithm, Limit... limits) {
    RateLimitPolicy.Builder b = RateLimitPolicy.builder("contract").algorithm(algorithm);
    for (Limit l : limits) {
      b.limit(l);
    }
    return limiter(b.build());
  }

  protected static String key() {
    return "k-" + UUID.randomUUID();
  }

  private static Limit perSecond(long quota) {
    return Limit.of(quota, Duration.ofSeconds(1));
  }

  private static void assertAllowed(Decision d, long remaining) {
    assertThat(d.allowed()).as("allowed: %s", d).isTrue();
    assertThat(d.shadowRejected()).isFalse();
    assertThat(d.remaining()).as("remaining: %s", d).isEqualTo(remaining);
    assertThat(d.retryAfter()).isZero();
  }

  private static void assertRejected(Decision d, long retryMillis) {
    assertThat(d.allowed()).as("rejected: %s", d).isFalse();
    assertThat(d.retryAfter()).as("retry after: %s", d).isEqualTo(Duration.ofMillis(retryMillis));
  }

  /**
   * A seeded random workload (several permits, time standing still or moving, refunds of earlier
   * admissions, some twice) decided by the store and by {@link CounterMath} directly: every number of every decision must match, for
   * every algorithm, with one limit (the stores' straight paths) and with two. Time moves in 10 s
   * steps and one permit takes 12 s to come back, so no Redis key nears its TTL in real time.
   */
  @Test
  void randomWorkloadDecidesExactlyAsCounterMath() {
    for (Algorithm algorithm : Algorithm.values()) {
      boolean buckets = algorithm == Algorithm.TOKEN_BUCKET || algorithm == Algorithm.GCRA;
      Limit minute = buckets ? Limit.of(5, Duration.ofMinutes(1)).withBurst(2)
          : Limit.of(5, Duration.ofMinutes(1));
      Limit tenMinutes = Limit.of(20, Duration.ofMinutes(10));
      replay(algorithm, new Limit[] {minute}, 11);
      replay(algorithm, new Limit[] {minute, tenMinutes}, 12);
    }
  }

  private void replay(Algorithm algorithm, Limit[] limits, long seed) {
    LimitSpec[] specs = new LimitSpec[limits.length];
    for (int i = 0; i < limits.length; i++) {
      specs[i] = LimitSpec.of(limits[i], algorithm);
    }
    long[] state = CounterMath.fresh(specs.length);
    Random random = new Random(seed);
    String key = key();
    List<Decision> admitted = new ArrayList<>();
    List<long[]> admittedAt = new ArrayList<>(); // {permits, store time} of each admission
    try (RateLimiter limiter = limiter(algorithm, limits)) {
      for (int step = 0; step < 150; step++) {
        if (random.nextInt(5) < 2) {
          ticker.advance(Duration.ofSeconds(10));
        }
        long n = 1 + random.nextInt(3);
        long now = Math.floorDiv(ticker.read(), 1_000_000L);
        if (!admitted.isEmpty() && random.nextInt(4) == 0) {
          // refund an earlier admission (now and then one already refunded: it gives nothing)
          int pick = random.nextInt(admitted.size());
          long[] taken = admittedAt.get(pick);
          boolean expectedBack = taken[0] > 0
              && CounterMath.refund(algorithm, specs, state, now, taken[0], taken[1]);
          String what = algorithm + " with " + limits.length + " limit(s), step " + step
              + ": refund of admission " + pick;
          assertThat(limiter.refund(admitted.get(pick))).as(what).isEqualTo(expectedBack);
          taken[0] = 0;
        }
        long[] next = state.clone();
        StoreAnswer expected = CounterMath.decide(algorithm, specs, next, now, n, n);
        if (expected.allowed()) {
          state = next;
        }
        Decision d = limiter.tryAcquire(key, n);
        if (d.allowed()) {
          admitted.add(d);
          admittedAt.add(new long[] {n, now});
        }
        String what = algorithm + " with " + limits.length + " limit(s), step " + step + ": " + d;
        assertThat(d.allowed()).as(what).isEqualTo(expected.allowed());
        assertThat(d.limit()).as(what).isEqualTo(expected.limit());
        assertThat(d.window()).as(what).isEqualTo(specs[expected.binding()].period());
        assertThat(d.remaining()).as(what).isEqualTo(expected.remaining());
        assertThat(d.resetAfter()).as(what).isEqualTo(Duration.ofMillis(expected.resetMillis()));
        assertThat(d.retryAfter()).as(what).isEqualTo(Duration.ofMillis(expected.retryMillis()));
      }
    }
  }

  /**
   * Many decisions asked at once, without waiting (a store over a client that does not block
   * sends those that queue behind a call in flight as one batch): each key asks for the same
   * permits again and again while time stands still, so whatever order the store takes them in,
   * its answers for a key must be the answers {@link CounterMath} gives to that many requests in
   * sequence. Every algorithm, one limit and two, four waves 10 s apart.
   */
  @Test
  void decisionsAskedAtOnceAreDecidedAsCounterMathDecidesThemInTurn() {
    for (Algorithm algorithm : Algorithm.values()) {
      boolean buckets = algorithm == Algorithm.TOKEN_BUCKET || algorithm == Algorithm.GCRA;
      Limit minute = buckets ? Limit.of(30, Duration.ofMinutes(1)).withBurst(12)
          : Limit.of(30, Duration.ofMinutes(1));
      Limit tenMinutes = Limit.of(80, Duration.ofMinutes(10));
      askAtOnce(algorithm, new Limit[] {minute});
      askAtOnce(algorithm, new Limit[] {minute, tenMinutes});
    }
  }

  private void askAtOnce(Algorithm algorithm, Limit[] limits) {
    LimitSpec[] specs = new LimitSpec[limits.length];
    for (int i = 0; i < limits.length; i++) {
      specs[i] = LimitSpec.of(limits[i], algorithm);
    }
    int keys = 6;
    int each = 25;
    String[] names = new String[keys];
    long[][] state = new long[keys][];
    for (int k = 0; k < keys; k++) {
      names[k] = key();
      state[k] = CounterMath.fresh(specs.length);
    }
    try (RateLimiter limiter = limiter(algorithm, limits)) {
      for (int wave = 0; wave < 4; wave++) {
        ticker.advance(Duration.ofSeconds(10));
        long now = Math.floorDiv(ticker.read(), 1_000_000L);
        List<List<CompletableFuture<Decision>>> asked = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
          asked.add(new ArrayList<>());
        }
        for (int i = 0; i < each; i++) {
          for (int k = 0; k < keys; k++) {
            asked.get(k).add(limiter.tryAcquireAsync(names[k], 1 + k % 3));
          }
        }
        for (int k = 0; k < keys; k++) {
          List<String> expected = new ArrayList<>();
          for (int i = 0; i < each; i++) {
            long[] next = state[k].clone();
            StoreAnswer a = CounterMath.decide(algorithm, specs, next, now, 1 + k % 3, 1 + k % 3);
            if (a.allowed()) {
              state[k] = next;
            }
            expected.add(outcome(a.allowed(), a.limit(), specs[a.binding()].period(),
                a.remaining(), a.resetMillis(), a.retryMillis()));
          }
          List<String> got = new ArrayList<>();
          for (CompletableFuture<Decision> f : asked.get(k)) {
            Decision d = f.join();
            got.add(outcome(d.allowed(), d.limit(), d.window(), d.remaining(),
                d.resetAfter().toMillis(), d.retryAfter().toMillis()));
          }
          expected.sort(null);
          got.sort(null);
          assertThat(got).as("%s with %d limit(s), wave %d, key %d", algorithm, limits.length,
              wave, k).isEqualTo(expected);
        }
      }
    }
  }

  private static String outcome(boolean allowed, long limit, Duration window, long remaining,
      long resetMillis, long retryMillis) {
    return (allowed ? "admitted" : "rejected") + String.format(
        " remaining %06d limit %d window %s reset %d retry %d", remaining, limit, window,
        resetMillis, retryMillis);
  }

  private static int admit(RateLimiter limiter, String key, int attempts) {
    int admitted = 0;
    for (int i = 0; i < attempts; i++) {
      if (limiter.tryAcquire(key).allowed()) {
        admitted++;
      }
    }
    return admitted;
  }

  // ---- token bucket

  @Test
  void tokenBucketStartsFullRefillsGreedilyAndTellsWhen() {
    RateLimiter limiter = limiter(Algorithm.TOKEN_BUCKET, perSecond(10));
    String key = key();
    for (int i = 9; i >= 0; i--) {
      Decision d = limiter.tryAcquire(key);
      assertAllowed(d, i);
      assertThat(d.limit()).isEqualTo(10);
      assertThat(d.window()).isEqualTo(Duration.ofSeconds(1));
      assertThat(d.policyName()).isEqualTo("contract");
    }
    Decision rejected = limiter.tryAcquire(key);
    assertRejected(rejected, 100);
    assertThat(rejected.remaining()).isZero();
    // t: the next token, not the full bucket
    assertThat(rejected.resetAfter()).isEqualTo(Duration.ofMillis(100));
    assertThat(rejected.resetAfter()).isLessThanOrEqualTo(rejected.retryAfter());

    ticker.advanceMillis(100);
    assertAllowed(limiter.tryAcquire(key), 0);
    ticker.advanceMillis(250);
    assertAllowed(limiter.tryAcquire(key), 1);
    assertAllowed(limiter.tryAcquire(key), 0);
    assertRejected(limiter.tryAcquire(key), 50);

    ticker.advance(Duration.ofHours(1));
    assertThat(admit(limiter, key, 20)).as("never more than the capacity after a long rest").isEqualTo(10);
  }

  @Test
  void tokenBucketBurstAndSeveralPermits() {
    RateLimiter limiter = limiter(Algorithm.TOKEN_BUCKET, perSecond(10).withBurst(5));
    String key = key();
    Decision first = limiter.tryAcquire(key, 4);
    assertAllowed(first, 11);
    assertThat(first.limit()).isEqualTo(15);
    assertThat(first.resetAfter()).as("the next token").isEqualTo(Duration.ofMillis(100));
    assertAllowed(limiter.tryAcquire(key, 4), 7);
    assertAllowed(limiter.tryAcquire(key, 5), 2);
    Decision d = limiter.tryAcquire(key, 4);
    assertRejected(d, 200);
    assertThat(d.remaining()).isEqualTo(2);
    ticker.advanceMillis(200);
    assertAllowed(limiter.tryAcquire(key, 4), 0);
  }

  // ---- GCRA

  @Test
  void gcraSpacesRequestsByTheEmissionInterval() {
    RateLimiter limiter = limiter(Algorithm.GCRA, Limit.of(1, Duration.ofSeconds(1)));
    String key = key();
    Decision first = limiter.tryAcquire(key);
    assertAllowed(first, 0);
    assertThat(first.resetAfter()).isEqualTo(Duration.ofSeconds(1));
    assertRejected(limiter.tryAcquire(key), 1000);
    ticker.advanceMillis(600);
    assertRejected(limiter.tryAcquire(key), 400);
    ticker.advanceMillis(400);
    assertAllowed(limiter.tryAcquire(key), 0);
  }

  @Test
  void gcraWithBurstAdmitsTheCapacityAtOnceThenTheRate() {
    RateLimiter limiter = limiter(Algorithm.GCRA, perSecond(10).withBurst(2));
    String key = key();
    assertThat(admit(limiter, key, 20)).isEqualTo(12);
    assertRejected(limiter.tryAcquire(key), 100);
    ticker.advanceMillis(350);
    assertThat(admit(limiter, key, 20)).isEqualTo(3);
    assertRejected(limiter.tryAcquire(key), 50);
    Decision d = limiter.tryAcquire(key, 12);
    assertRejected(d, 1150);
  }

  // ---- fixed window

  @Test
  void fixedWindowResetsAtTheWindowEdge() {
    RateLimiter limiter = limiter(Algorithm.FIXED_WINDOW, Limit.of(5, Duration.ofSeconds(1)));
    String key = key();
    Decision first = limiter.tryAcquire(key);
    assertAllowed(first, 4);
    assertThat(first.resetAfter()).isEqualTo(Duration.ofSeconds(1));
    ticker.advanceMillis(300);
    assertThat(admit(limiter, key, 10)).isEqualTo(4);
    Decision d = limiter.tryAcquire(key);
    assertRejected(d, 700);
    assertThat(d.resetAfter()).isEqualTo(Duration.ofMillis(700));
    ticker.advanceMillis(699);
    assertRejected(limiter.tryAcquire(key), 1);
    ticker.advanceMillis(1);
    assertThat(admit(limiter, key, 10)).isEqualTo(5);
  }

  // ---- sliding window

  @Test
  void slidingWindowWeighsThePreviousWindow() {
    RateLimiter limiter = limiter(Algorithm.SLIDING_WINDOW, perSecond(10));
    String key = key();
    assertThat(admit(limiter, key, 20)).isEqualTo(10);
    ticker.advanceMillis(1000); // next window, previous one weighs fully
    Decision d = limiter.tryAcquire(key);
    assertRejected(d, 100);
    // t: the previous window's weight drops from 10 to 9 at 100 ms
    assertThat(d.resetAfter()).isEqualTo(Duration.ofMillis(100));
    ticker.advanceMillis(100); // previous weighs ceil(10 × 0.9) = 9
    assertAllowed(limiter.tryAcquire(key), 0);
    Decision again = limiter.tryAcquire(key);
    assertThat(again.allowed()).isFalse();
    // at 200 ms the previous window weighs ceil(10 × 0.8) = 8, plus 1 current, plus 1 asked
    assertThat(again.retryAfter()).isEqualTo(Duration.ofMillis(100));
    ticker.advanceMillis(500); // previous weighs ceil(10 × 0.4) = 4, current 1
    assertThat(admit(limiter, key, 20)).isEqualTo(5);
    ticker.advanceMillis(2000); // two windows later nothing is left
    assertThat(admit(limiter, key, 20)).isEqualTo(10);
  }

  @Test
  void slidingWindowRetryAfterIsExact() {
    RateLimiter limiter = limiter(Algorithm.SLIDING_WINDOW, perSecond(10));
    String key = key();
    assertThat(admit(limiter, key, 10)).isEqualTo(10);
    ticker.advanceMillis(1000);
    for (int round = 0; round < 30; round++) {
      Decision d = limiter.tryAcquire(key);
      if (!d.allowed()) {
        long wait = d.retryAfter().toMillis();
        assertThat(wait).isPositive();
        ticker.advanceMillis(wait - 1);
        assertThat(limiter.tryAcquire(key).allowed()).as("round %d: not before retry-after", round).isFalse();
        ticker.advanceMillis(1);
        assertThat(limiter.tryAcquire(key).allowed()).as("round %d: at retry-after", round).isTrue();
      }
    }
  }

  // ---- several limits, all or nothing

  @Test
  void severalLimitsAreDecidedAllOrNothing() {
    for (Algorithm algorithm : Algorithm.values()) {
      RateLimiter limiter = limiter(algorithm, Limit.of(2, Duration.ofSeconds(1)),
          Limit.of(5, Duration.ofMinutes(1)));
      String key = key();
      assertThat(admit(limiter, key, 2)).as(algorithm.name()).isEqualTo(2);
      Decision bySecond = limiter.tryAcquire(key);
      assertThat(bySecond.allowed()).isFalse();
      assertThat(bySecond.limit()).as("binding limit of %s", algorithm).isEqualTo(2);
      assertThat(admit(limiter, key, 10)).as("rejected requests take nothing from the minute")
          .isZero();
      ticker.advanceMillis(2000);
      assertThat(admit(limiter, key, 2)).as(algorithm.name()).isEqualTo(2);
      ticker.advanceMillis(2000);
      Decision last = limiter.tryAcquire(key);
      assertThat(last.allowed()).as(algorithm + ": " + last).isTrue();
      assertThat(last.limit()).as("the minute binds now").isEqualTo(5);
      assertThat(last.remaining()).isZero();
      Decision byMinute = limiter.tryAcquire(key);
      assertThat(byMinute.allowed()).isFalse();
      assertThat(byMinute.limit()).isEqualTo(5);
      assertThat(byMinute.window()).isEqualTo(Duration.ofMinutes(1));
      assertThat(byMinute.retryAfter()).isGreaterThan(Duration.ofSeconds(1));
      ticker.advance(Duration.ofMinutes(3));
    }
  }

  @Test
  void tokenBucketSeveralLimitsNumbers() {
    RateLimiter limiter = limiter(Algorithm.TOKEN_BUCKET, Limit.of(2, Duration.ofSeconds(1)),
        Limit.of(5, Duration.ofMinutes(1)));
    String key = key();
    assertThat(admit(limiter, key, 12)).isEqualTo(2);
    ticker.advanceMillis(1000);
    assertThat(admit(limiter, key, 12)).isEqualTo(2);
    ticker.advanceMillis(1000);
    assertAllowed(limiter.tryAcquire(key), 0);
    Decision d = limiter.tryAcquire(key);
    // the minute bucket: 0 tokens and 2000 ms × 5 = 10000 token·ms towards the next
    assertRejected(d, 10_000);
    assertThat(d.limit()).isEqualTo(5);
  }

  // ---- waiting, async, shadow

  @Test
  void acquireWaitsUpToMaxWait() throws InterruptedException {
    RateLimiter limiter = limiter(Algorithm.TOKEN_BUCKET, perSecond(10));
    String key = key();
    assertThat(admit(limiter, key, 10)).isEqualTo(10);
    long before = ticker.read();
    Decision tooShort = limiter.acquire(key, 1, Duration.ofMillis(50));
    assertThat(tooShort.allowed()).isFalse();
    assertThat(ticker.read()).as("gave up without waiting").isEqualTo(before);
    Decision waited = limiter.acquire(key, 3, Duration.ofMillis(500));
    assertThat(waited.allowed()).isTrue();
    assertThat(ticker.read() - before).isEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
  }

  @Test
  void asyncDecidesLikeSync() throws Exception {
    RateLimiter limiter = limiter(Algorithm.FIXED_WINDOW, perSecond(3));
    String key = key();
    for (int i = 2; i >= 0; i--) {
      assertAllowed(limiter.tryAcquireAsync(key, 1).get(5, TimeUnit.SECONDS), i);
    }
    assertRejected(limiter.tryAcquireAsync(key, 1).get(5, TimeUnit.SECONDS), 1000);
  }

  @Test
  void shadowModeCountsButNeverRejects() {
    RateLimitPolicy policy = RateLimitPolicy.builder("shadow").limit(perSecond(2)).build();
    RateLimiter limiter =
        store(RateLimiter.builder(policy).ticker(ticker).shadowMode()).build();
    String key = key();
    assertThat(limiter.tryAcquire(key).shadowRejected()).isFalse();
    assertThat(limiter.tryAcquire(key).shadowRejected()).isFalse();
    Decision d = limiter.tryAcquire(key);
    assertThat(d.allowed()).isTrue();
    assertThat(d.shadowRejected()).isTrue();
    assertThat(d.remaining()).isZero();
    assertThat(d.retryAfter()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void allowSharesStateWithTryAcquire() {
    for (Algorithm algorithm : Algorithm.values()) {
      RateLimiter limiter = limiter(algorithm, perSecond(4));
      String key = key();
      assertThat(limiter.allow(key)).as("%s", algorithm).isTrue();
      assertAllowed(limiter.tryAcquire(key), 2);
      assertThat(limiter.allow(key, 2)).as("%s", algorithm).isTrue();
      assertThat(limiter.allow(key)).as("%s", algorithm).isFalse();
      assertThat(limiter.tryAcquire(key).allowed()).as("%s", algorithm).isFalse();
      assertThatThrownBy(() -> limiter.allow("")).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> limiter.allow(key, 0)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void keysAreIndependent() {
    RateLimiter limiter = limiter(Algorithm.FIXED_WINDOW, perSecond(1));
    String a = key();
    String b = key();
    assertThat(limiter.tryAcquire(a).allowed()).isTrue();
    assertThat(limiter.tryAcquire(a).allowed()).isFalse();
    assertThat(limiter.tryAcquire(b).allowed()).isTrue();
    assertThat(limiter.tryAcquire("{odd}key:with}braces{").allowed()).isTrue();
  }

  // ---- refunds

  @Test
  void refundGivesTheAdmissionBackOnceAndNeverAboveTheLimit() {
    for (Algorithm algorithm : Algorithm.values()) {
      RateLimiter limiter = limiter(algorithm, perSecond(3));
      String key = key();
      Decision first = limiter.tryAcquire(key);
      assertThat(limiter.tryAcquire(key, 2).allowed()).as("%s", algorithm).isTrue();
      Decision rejected = limiter.tryAcquire(key);
      assertThat(rejected.allowed()).as("%s", algorithm).isFalse();

      assertThat(limiter.refund(rejected)).as("%s: a rejection took nothing", algorithm).isFalse();
      assertThat(limiter.refund(first)).as("%s: refund", algorithm).isTrue();
      assertThat(limiter.refund(first)).as("%s: second refund", algorithm).isFalse();
      assertThat(limiter.refundAsync(first).join()).as("%s: third, async", algorithm).isFalse();
      Decision again = limiter.tryAcquire(key);
      assertThat(again.allowed()).as("%s: the refunded permit, once", algorithm).isTrue();
      assertThat(again.remaining()).as("%s", algorithm).isZero();
      assertThat(limiter.tryAcquire(key).allowed()).as("%s: no more", algorithm).isFalse();
      assertThat(limiter.refund(Decision.allowed("contract", 3, 2, Duration.ofSeconds(1),
          Duration.ZERO))).as("%s: a decision made by hand took nothing", algorithm).isFalse();
    }
  }

  @Test
  void refundNeverFillsAFullLimitOrAFreshKey() {
    for (Algorithm algorithm : Algorithm.values()) {
      RateLimiter limiter = limiter(algorithm, perSecond(3));
      String key = key();
      Decision d = limiter.tryAcquire(key);
      ticker.advance(Duration.ofSeconds(5)); // the bucket refilled, the window rolled over twice
      assertThat(limiter.refund(d)).as("%s", algorithm).isFalse();
      assertThat(admit(limiter, key, 5)).as("%s: the limit, no more", algorithm).isEqualTo(3);
    }
  }

  @Test
  void bucketRefundPutsTokensBackUpToTheCapacity() {
    for (Algorithm algorithm : new Algorithm[] {Algorithm.TOKEN_BUCKET, Algorithm.GCRA}) {
      RateLimiter limiter = limiter(algorithm, perSecond(4));
      String key = key();
      Decision two = limiter.tryAcquire(key, 2);
      assertThat(limiter.tryAcquire(key, 2).allowed()).isTrue();
      ticker.advance(Duration.ofMillis(250)); // one permit back
      assertThat(limiter.refund(two)).as("%s", algorithm).isTrue();
      assertThat(admit(limiter, key, 5)).as("%s: 1 refilled + 2 refunded", algorithm).isEqualTo(3);
      ticker.advance(Duration.ofSeconds(1)); // full again
      Decision one = limiter.tryAcquire(key);
      ticker.advance(Duration.ofMillis(100)); // less than a permit's worth
      assertThat(limiter.refund(one)).as("%s", algorithm).isTrue();
      assertThat(admit(limiter, key, 6)).as("%s: never above the capacity", algorithm)
          .isEqualTo(4);
    }
  }

  @Test
  void fixedWindowRefundCountsOnlyInTheAdmissionsWindow() {
    RateLimiter limiter = limiter(Algorithm.FIXED_WINDOW, perSecond(2));
    String key = key();
    Decision last = limiter.tryAcquire(key);
    assertThat(limiter.tryAcquire(key).allowed()).isTrue();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(admit(limiter, key, 3)).isEqualTo(2);
    assertThat(limiter.refund(last)).as("last window's admission").isFalse();
    assertThat(limiter.tryAcquire(key).allowed()).isFalse();
    ticker.advance(Duration.ofSeconds(1));
    Decision now = limiter.tryAcquire(key);
    assertThat(limiter.tryAcquire(key).allowed()).isTrue();
    ticker.advance(Duration.ofMillis(999));
    assertThat(limiter.refund(now)).as("this window's admission").isTrue();
    assertThat(admit(limiter, key, 3)).isEqualTo(1);
  }

  @Test
  void slidingWindowRefundLowersTheWindowTheAdmissionCountedIn() {
    RateLimiter limiter = limiter(Algorithm.SLIDING_WINDOW, perSecond(4));
    String key = key();
    List<Decision> taken = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      taken.add(limiter.tryAcquire(key));
    }
    ticker.advance(Duration.ofMillis(1500)); // previous window weighs half: 2 of 4 left
    assertThat(limiter.tryAcquire(key, 2).allowed()).isTrue();
    assertThat(limiter.tryAcquire(key).allowed()).isFalse();
    assertThat(limiter.refund(taken.get(0))).as("the previous window's admission").isTrue();
    assertThat(limiter.refund(taken.get(1))).isTrue();
    // previous 2 × 1/2 = 1, current 2: one left
    assertThat(admit(limiter, key, 3)).isEqualTo(1);
    ticker.advance(Duration.ofSeconds(1));
    assertThat(limiter.refund(taken.get(2))).as("two windows back").isFalse();
  }

  @Test
  void severalLimitsAreRefundedTogether() {
    RateLimiter limiter =
        limiter(Algorithm.FIXED_WINDOW, perSecond(2), Limit.of(3, Duration.ofMinutes(1)));
    String key = key();
    Decision a = limiter.tryAcquire(key);
    assertThat(admit(limiter, key, 3)).isEqualTo(1); // the second: 2 per second
    ticker.advance(Duration.ofSeconds(1));
    assertThat(admit(limiter, key, 3)).isEqualTo(1); // the third: 3 per minute
    assertThat(limiter.refund(a)).as("still in the minute's window").isTrue();
    assertThat(admit(limiter, key, 3)).isEqualTo(1);
  }

  @Test
  void refundAcceptsOnlyItsOwnLimitersDecisions() {
    RateLimiter limiter = limiter(Algorithm.TOKEN_BUCKET, perSecond(2));
    RateLimiter other = limiter(Algorithm.TOKEN_BUCKET, perSecond(2));
    Decision d = other.tryAcquire(key());
    assertThatThrownBy(() -> limiter.refund(d))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("decision must have been made by RateLimiter{");
    assertThatThrownBy(() -> limiter.refund(null))
        .isInstanceOf(NullPointerException.class).hasMessage("decision must not be null");
    assertThat(other.refund(d)).isTrue();
  }

  @Test
  void shadowRejectionsTakeNothingToRefund() {
    RateLimitPolicy policy = RateLimitPolicy.builder("shadow").limit(perSecond(1)).build();
    RateLimiter limiter = store(RateLimiter.builder(policy).ticker(ticker).shadowMode()).build();
    String key = key();
    Decision admitted = limiter.tryAcquire(key);
    Decision shadowRejected = limiter.tryAcquire(key);
    assertThat(shadowRejected.shadowRejected()).isTrue();
    assertThat(limiter.refund(shadowRejected)).isFalse();
    assertThat(limiter.refund(admitted)).isTrue();
    assertThat(limiter.tryAcquire(key).shadowRejected()).isFalse();
  }

  @Test
  void asyncRefundGivesBackLikeSync() throws Exception {
    RateLimiter limiter = limiter(Algorithm.GCRA, perSecond(2));
    String key = key();
    Decision d = limiter.tryAcquireAsync(key, 2).get(5, TimeUnit.SECONDS);
    assertThat(limiter.tryAcquire(key).allowed()).isFalse();
    assertThat(limiter.refundAsync(d).get(5, TimeUnit.SECONDS)).isTrue();
    assertThat(limiter.tryAcquire(key, 2).allowed()).isTrue();
  }

  // ---- bad input

  @Test
  void badArgumentsFailClearly() {
    RateLimiter limiter = limiter(Algorithm.TOKEN_BUCKET, perSecond(10));
    assertThatThrownBy(() -> limiter.tryAcquire(null))
        .isInstanceOf(NullPointerException.class).hasMessage("key must not be null");
    assertThatThrownBy(() -> limiter.tryAcquire(""))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("key must not be empty");
    assertThatThrownBy(() -> limiter.tryAcquire("k", 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("permits must be positive but was 0");
    assertThatThrownBy(() -> limiter.tryAcquire("k", -5))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("permits must be positive but was -5");
    assertThatThrownBy(() -> limiter.tryAcquire("k", 11))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permits must not exceed the capacity 10 of policy contract but was 11");
    assertThatThrownBy(() -> limiter.tryAcquireAsync("k", Long.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> limiter.acquire("k", 1, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxWait must not be negative but was PT-1S");
  }

  // ---- throttling with delay (real time: the throttle waits for the limiter's own clock)

  private static void awaitNoneWaiting(Throttle throttle) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (throttle.waiting() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(throttle.waiting()).as("requests still waiting").isZero();
  }

  /** A limiter on the system clock (a Redis store's clock too: the contract's is a fake one). */
  private RateLimiter realTime(RateLimitPolicy policy) {
    return store(RateLimiter.builder(policy)).redisClock(dev.scaleblocks.core.Ticker.system()).build();
  }

  /**
   * 40 requests at once on one key of a bucket of 20 refilled at 20/s: the first 20 pass, the next
   * 20 wait in the queue and pass at the rate. Every one is admitted, and never faster than the
   * limit allows: the j-th admission comes at least (j - 19) × 50 ms after the first request (less
   * 20 ms for clock granularity), however slow the machine is.
   */
  @Test
  void throttleQueuesTheExcessAndAdmitsItAtTheRateNeverFaster() throws Exception {
    RateLimitPolicy policy = RateLimitPolicy.builder("throttle")
        .algorithm(Algorithm.TOKEN_BUCKET).limit(perSecond(20)).build();
    try (RateLimiter limiter = realTime(policy);
        Throttle throttle = Throttle.builder("contract-" + UUID.randomUUID(), limiter)
            .queueCapacity(40).maxDelay(Duration.ofSeconds(20)).build()) {
      String key = key();
      long start = System.nanoTime();
      List<CompletableFuture<Long>> admitted = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        admitted.add(throttle.acquire(key).thenApply(d -> {
          assertThat(d.allowed()).as("admitted after waiting").isTrue();
          return System.nanoTime() - start;
        }));
      }
      long[] at = new long[40];
      for (int i = 0; i < 40; i++) {
        at[i] = admitted.get(i).get(30, TimeUnit.SECONDS);
      }
      java.util.Arrays.sort(at);
      for (int j = 20; j < 40; j++) {
        assertThat(TimeUnit.NANOSECONDS.toMillis(at[j])).as("admission %d (ms after the first request)", j)
            .isGreaterThanOrEqualTo((j - 19) * 50L - 20);
      }
      assertThat(throttle.waiting()).isZero();
      System.out.printf("throttle over %s: 40 requests admitted in %d ms (the rate allows it in 1 000)%n",
          getClass().getSimpleName(), TimeUnit.NANOSECONDS.toMillis(at[39]));
    }
  }

  /** A full queue refuses at once, with the limiter's own refusal (its Retry-After). */
  @Test
  void throttleRefusesBeyondItsQueue() throws Exception {
    // a token bucket: its next token is 30 min away whenever the test runs (a fixed window of an
    // hour ends on the hour of the store's clock, which may be seconds away)
    RateLimitPolicy policy = RateLimitPolicy.builder("throttle-full")
        .algorithm(Algorithm.TOKEN_BUCKET).limit(Limit.of(2, Duration.ofHours(1))).build();
    try (RateLimiter limiter = realTime(policy);
        Throttle throttle = Throttle.builder("contract-full-" + UUID.randomUUID(), limiter)
            .queueCapacity(3).maxDelay(Duration.ofMillis(300)).build()) {
      String key = key();
      List<CompletableFuture<Decision>> all = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        all.add(throttle.acquire(key));
      }
      int allowed = 0;
      int refused = 0;
      for (CompletableFuture<Decision> f : all) {
        Decision d = f.get(10, TimeUnit.SECONDS);
        if (d.allowed()) {
          allowed++;
        } else {
          refused++;
          assertThat(d.retryAfter()).as("the limiter's refusal").isGreaterThan(Duration.ofMinutes(1));
        }
      }
      assertThat(allowed).isEqualTo(2);
      assertThat(refused).as("1 refused at once (queue of 3 full), 3 after waiting 300 ms").isEqualTo(4);
      awaitNoneWaiting(throttle); // a timed-out waiter leaves its queue just after its future completes
    }
  }

  /** nodelay: a burst as large as the queue passes at once; its permits are taken as they refill. */
  @Test
  void throttleNodelayPassesTheBurstAndPaysItBack() throws Exception {
    RateLimitPolicy policy = RateLimitPolicy.builder("throttle-nodelay")
        .algorithm(Algorithm.TOKEN_BUCKET).limit(perSecond(20)).build();
    try (RateLimiter limiter = realTime(policy);
        Throttle throttle = Throttle.builder("contract-nodelay-" + UUID.randomUUID(), limiter)
            .queueCapacity(10).maxDelay(Duration.ofSeconds(5)).nodelay().build()) {
      String key = key();
      long start = System.nanoTime();
      List<CompletableFuture<Decision>> all = new ArrayList<>();
      for (int i = 0; i < 35; i++) {
        all.add(throttle.acquire(key));
      }
      long allowed = 0;
      for (CompletableFuture<Decision> f : all) {
        if (f.get(10, TimeUnit.SECONDS).allowed()) {
          allowed++;
        }
      }
      // 20 from the bucket and 10 from the queue at once, plus what refilled (one per 50 ms) while
      // a slow store answered the 35
      long refilled = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) / 50 + 1;
      assertThat(allowed).as("20 from the bucket and 10 from the queue").isBetween(30L, 30 + refilled);
      awaitNoneWaiting(throttle); // the 10 queued places paid back
    }
  }
}
