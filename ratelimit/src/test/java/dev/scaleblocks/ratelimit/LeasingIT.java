package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.FakeTicker;
import dev.scaleblocks.core.testing.TestServices;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.UnifiedJedis;

/**
 * Leasing on the real Redis: round trips drop about k× and admissions over any interval exceed the
 * policy's allowance by at most {@code instances × k}.
 */
class LeasingIT {

  private static UnifiedJedis jedis;

  @BeforeAll
  static void connect() {
    jedis = RedisClients.standalone();
  }

  @AfterAll
  static void close() {
    jedis.close();
  }

  /** Summed over the instances, each with its registry as in separate JVMs (read before close). */
  private static double count(List<SimpleMeterRegistry> registries, String source) {
    return registries.stream().mapToDouble(r -> r.get("scaleblocks.ratelimit.decisions.source")
        .tag("source", source).counter().count()).sum();
  }

  /**
   * A refund of a lease hit goes back into the lease, in memory (no Redis call); a refund of the
   * admission that took the lease, or of a hit whose lease has ended, goes back to Redis.
   */
  @Test
  void refundsGoBackIntoTheLeaseWhileItLastsElseToRedis() {
    FakeTicker ticker = new FakeTicker(TimeUnit.DAYS.toNanos(20_000));
    RateLimitPolicy policy =
        RateLimitPolicy.builder("lease-refund").limit(100, Duration.ofMinutes(100)).build();
    List<SimpleMeterRegistry> registries = new ArrayList<>();
    RateLimiter limiter = RateLimiter.builder(policy).redis(jedis)
        .keyPrefix("scaleblocks:test:lease:" + UUID.randomUUID() + ":")
        .leasing(5, Duration.ofSeconds(1)).redisClock(ticker).ticker(ticker)
        .storeTimeout(Duration.ofSeconds(5)).failurePolicy(FailurePolicy.FAIL_CLOSED)
        .telemetry(Telemetry.of(registry(registries))).build();
    try {
      Decision took = limiter.tryAcquire("k"); // Redis: 1 + a lease of 4; 95 left there
      Decision hit = limiter.tryAcquire("k"); // from the lease: 3 left in it
      assertThat(count(registries, "lease")).isEqualTo(1);
      assertThat(limiter.refund(hit)).isTrue();
      assertThat(count(registries, "store")).as("no Redis call for a lease refund").isEqualTo(1);
      assertThat(limiter.refund(took)).as("back to Redis").isTrue();
      int admitted = 0;
      while (admitted < 200 && limiter.tryAcquire("k").allowed()) {
        admitted++;
      }
      assertThat(admitted).as("4 in the lease, 95 + 1 refunded in Redis").isEqualTo(100);

      Decision late = limiter.tryAcquire("k2");
      Decision leased = limiter.tryAcquire("k2");
      ticker.advance(Duration.ofSeconds(2)); // the lease ended: its 3 leftovers are dropped
      double calls = count(registries, "store");
      assertThat(limiter.refund(leased)).as("back to Redis, where the lease took it").isTrue();
      assertThat(limiter.refund(late)).isTrue();
      admitted = 0;
      while (admitted < 200 && limiter.tryAcquire("k2").allowed()) {
        admitted++;
      }
      assertThat(admitted).as("95 left in Redis + 2 refunded").isEqualTo(97);
      assertThat(count(registries, "store")).isGreaterThan(calls);
    } finally {
      limiter.close();
    }
  }

  /**
   * Fake time, four instances, requests spread over them at random: every interval between two
   * admissions is checked against {@code capacity + interval × rate + instances × k}. (The period
   * is long so that Redis, which expires keys in real time, never expires one during the test.)
   */
  @Test
  void overAdmissionOverAnyIntervalIsBoundedByInstancesTimesLease() {
    int instances = 4;
    long k = 10;
    long quota = 1000;
    long periodMillis = 10_000;
    FakeTicker ticker = new FakeTicker(TimeUnit.DAYS.toNanos(20_000));
    RateLimitPolicy policy =
        RateLimitPolicy.builder("lease").limit(quota, Duration.ofMillis(periodMillis)).build();
    String prefix = "scaleblocks:test:lease:" + UUID.randomUUID() + ":";
    List<SimpleMeterRegistry> registries = new ArrayList<>();
    List<RateLimiter> limiters = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      limiters.add(RateLimiter.builder(policy).redis(jedis).keyPrefix(prefix)
          .leasing(k, Duration.ofSeconds(10)).redisClock(ticker).ticker(ticker)
          .storeTimeout(Duration.ofSeconds(5)).failurePolicy(FailurePolicy.FAIL_CLOSED)
          .telemetry(Telemetry.of(registry(registries))).build());
    }
    SplittableRandom random = new SplittableRandom(7);
    List<Long> admittedAt = new ArrayList<>();
    long decisions = 0;
    for (int step = 0; step < 4000; step++) {
      ticker.advanceMillis(random.nextInt(4));
      RateLimiter limiter = limiters.get(random.nextInt(instances));
      for (int burst = random.nextInt(3); burst >= 0; burst--) {
        decisions++;
        if (limiter.tryAcquire("hot").allowed()) {
          admittedAt.add(TimeUnit.NANOSECONDS.toMillis(ticker.read()));
        }
      }
    }
    long worstExcess = Long.MIN_VALUE;
    for (int i = 0; i < admittedAt.size(); i++) {
      for (int j = i; j < admittedAt.size(); j++) {
        long span = admittedAt.get(j) - admittedAt.get(i);
        long allowance = quota + span * quota / periodMillis;
        worstExcess = Math.max(worstExcess, (j - i + 1) - allowance);
      }
    }
    assertThat(worstExcess).as("admissions beyond the allowance over the worst interval")
        .isLessThanOrEqualTo(instances * k);
    long first = admittedAt.get(0);
    long last = admittedAt.get(admittedAt.size() - 1);
    assertThat((long) admittedAt.size()).as("over the whole run, never more than taken from Redis")
        .isLessThanOrEqualTo(quota + (last - first) * quota / periodMillis);
    assertThat(decisions).as("saturated").isGreaterThan(2L * admittedAt.size());
    assertThat(count(registries, "lease")).as("decisions served from leases").isPositive();
    limiters.forEach(RateLimiter::close);
  }

  /**
   * Real threads, real Redis time, a busy key below its limit (the common case): round trips fall
   * by about k, and admissions stay within the bound.
   */
  @Test
  void roundTripsFallAboutKFold() throws Exception {
    int instances = 4;
    int threads = 4;
    long k = 20;
    long quota = 1_000_000;
    RateLimitPolicy policy = RateLimitPolicy.builder("lease-rt").limit(quota, Duration.ofSeconds(1)).build();
    String prefix = "scaleblocks:test:lease:" + UUID.randomUUID() + ":";
    List<SimpleMeterRegistry> registries = new ArrayList<>();
    List<RateLimiter> limiters = new ArrayList<>();
    List<UnifiedJedis> clients = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      UnifiedJedis client = RedisClients.standalone();
      clients.add(client);
      limiters.add(RateLimiter.builder(policy).redis(client).keyPrefix(prefix).leasing(k)
          .storeTimeout(Duration.ofSeconds(5)).failurePolicy(FailurePolicy.FAIL_CLOSED)
          .telemetry(Telemetry.of(registry(registries))).build());
    }
    AtomicLong admitted = new AtomicLong();
    AtomicLong decisions = new AtomicLong();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> running = new ArrayList<>();
    for (RateLimiter limiter : limiters) {
      for (int t = 0; t < threads; t++) {
        Thread thread = new Thread(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            return;
          }
          long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000);
          while (System.nanoTime() < end) {
            decisions.incrementAndGet();
            if (limiter.tryAcquire("hot").allowed()) {
              admitted.incrementAndGet();
            }
          }
        });
        thread.start();
        running.add(thread);
      }
    }
    InetSocketAddress address = TestServices.redis();
    long before;
    long after;
    double storeCalls;
    try (Jedis time = new Jedis(address.getHostString(), address.getPort())) {
      before = millis(time);
      go.countDown();
      for (Thread thread : running) {
        thread.join();
      }
      after = millis(time);
      storeCalls = count(registries, "store");
    } finally {
      limiters.forEach(RateLimiter::close);
      clients.forEach(UnifiedJedis::close);
    }
    long allowance = quota + (after - before) * quota / 1000;
    assertThat(admitted.get()).isLessThanOrEqualTo(allowance + instances * k);
    assertThat(admitted.get()).as("below the limit, all admitted").isEqualTo(decisions.get());
    assertThat(storeCalls).as("round trips for %d decisions", decisions.get())
        .isLessThanOrEqualTo(decisions.get() / (k / 2.0));
  }

  private static SimpleMeterRegistry registry(List<SimpleMeterRegistry> registries) {
    SimpleMeterRegistry r = new SimpleMeterRegistry();
    registries.add(r);
    return r;
  }

  private static long millis(Jedis jedis) {
    List<String> t = jedis.time();
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }
}
