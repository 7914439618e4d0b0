package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.testing.TestServices;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import redis.clients.jedis.Jedis;

/**
 * Strict correctness on the real Redis and the real Cluster, through Jedis and through Lettuce:
 * two independent client stacks (own clients, own limiters, own store threads or Lettuce
 * connection, client clocks skewed by +1 s and −1 s), 64 threads each, hammering one key. Admissions never exceed what the policy allows over the elapsed Redis
 * time: over-admission is exactly zero. With refunds, threads give back a random share of their
 * admissions (now at once, now after a while, now twice, now async): admissions minus refunds
 * that gave anything back still never exceed the allowance.
 */
class StrictnessIT {

  private static final int STACKS = 2;
  private static final int THREADS = 64;
  private static final long RUN_MILLIS = 1500;

  @ParameterizedTest(name = "{0} on {1} through {2}")
  @CsvSource({
      "TOKEN_BUCKET, standalone, JEDIS", "GCRA, standalone, JEDIS", "FIXED_WINDOW, standalone, JEDIS",
      "TOKEN_BUCKET, cluster, JEDIS", "FIXED_WINDOW, cluster, JEDIS",
      "TOKEN_BUCKET, standalone, LETTUCE", "GCRA, standalone, LETTUCE",
      "FIXED_WINDOW, standalone, LETTUCE", "TOKEN_BUCKET, cluster, LETTUCE",
      "FIXED_WINDOW, cluster, LETTUCE",
      "TOKEN_BUCKET, standalone, COALESCING_JEDIS", "GCRA, standalone, COALESCING_JEDIS",
      "FIXED_WINDOW, standalone, COALESCING_JEDIS", "TOKEN_BUCKET, cluster, COALESCING_JEDIS",
      "FIXED_WINDOW, cluster, COALESCING_JEDIS"})
  void noOverAdmission(Algorithm algorithm, String topology, RedisClients.Kind kind)
      throws Exception {
    run(algorithm, topology, kind, false);
  }

  @ParameterizedTest(name = "{0} on {1} through {2}, with refunds")
  @CsvSource({
      "TOKEN_BUCKET, standalone, JEDIS", "GCRA, cluster, JEDIS", "FIXED_WINDOW, standalone, JEDIS",
      "TOKEN_BUCKET, cluster, LETTUCE", "FIXED_WINDOW, standalone, LETTUCE",
      "GCRA, standalone, COALESCING_JEDIS", "FIXED_WINDOW, cluster, COALESCING_JEDIS"})
  void noOverAdmissionWithRefunds(Algorithm algorithm, String topology, RedisClients.Kind kind)
      throws Exception {
    run(algorithm, topology, kind, true);
  }

  private void run(Algorithm algorithm, String topology, RedisClients.Kind kind, boolean refunds)
      throws Exception {
    InetSocketAddress timeSource = topology.equals("cluster")
        ? TestServices.redisCluster().get(0) : TestServices.redis();
    long quota = 300;
    Duration period = Duration.ofSeconds(1);
    RateLimitPolicy policy = RateLimitPolicy.builder("strict").algorithm(algorithm)
        .limit(quota, period).build();
    String prefix = "scaleblocks:test:strict:" + UUID.randomUUID() + ":";
    String key = "203.0.113.7";

    List<RedisClients.Client> opened = new ArrayList<>();
    List<RateLimiter> limiters = new ArrayList<>();
    List<SimpleMeterRegistry> registries = new ArrayList<>();
    for (int s = 0; s < STACKS; s++) {
      RedisClients.Client client = kind.open(topology);
      SimpleMeterRegistry registry = new SimpleMeterRegistry(); // one per stack, as per JVM
      registries.add(registry);
      opened.add(client);
      long skew = (s % 2 == 0 ? 1 : -1) * TimeUnit.SECONDS.toNanos(1);
      Ticker skewed = () -> System.nanoTime() + skew;
      limiters.add(client.on(RateLimiter.builder(policy)).keyPrefix(prefix)
          .ticker(skewed).storeThreads(16).storeTimeout(Duration.ofSeconds(10))
          .failurePolicy(FailurePolicy.FAIL_CLOSED).telemetry(Telemetry.of(registry)).build());
    }
    AtomicLong admitted = new AtomicLong();
    AtomicLong refunded = new AtomicLong();
    AtomicLong refundsAsked = new AtomicLong();
    AtomicLong decisions = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (RateLimiter limiter : limiters) {
      for (int t = 0; t < THREADS; t++) {
        Thread thread = new Thread(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            return;
          }
          long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RUN_MILLIS);
          ThreadLocalRandom random = ThreadLocalRandom.current();
          Decision held = null; // an admission refunded later, by a later turn of this thread
          while (System.nanoTime() < end) {
            decisions.incrementAndGet();
            Decision d = limiter.tryAcquire(key);
            if (!d.allowed()) {
              continue;
            }
            admitted.incrementAndGet();
            if (!refunds) {
              continue;
            }
            int dice = random.nextInt(10);
            Decision back = dice < 3 ? d : (dice < 5 ? held : null);
            if (dice >= 3 && dice < 6) {
              held = d;
            }
            if (back != null) {
              refundsAsked.incrementAndGet();
              boolean given = random.nextBoolean()
                  ? limiter.refund(back) : limiter.refundAsync(back).join();
              if (given) {
                refunded.incrementAndGet();
              }
              if (random.nextInt(4) == 0 && limiter.refund(back)) {
                throw new AssertionError("a second refund of one admission gave permits back");
              }
            }
          }
        });
        thread.start();
        threads.add(thread);
      }
    }
    long before;
    long after;
    try (Jedis time = new Jedis(timeSource.getHostString(), timeSource.getPort())) {
      before = redisMillis(time);
      start.countDown();
      for (Thread thread : threads) {
        thread.join();
      }
      after = redisMillis(time);
      for (SimpleMeterRegistry registry : registries) {
        assertThat(registry.find("scaleblocks.ratelimit.fallbacks").counters())
            .allSatisfy(c -> assertThat(c.count()).as("decisions not made by Redis").isZero());
        assertThat(registry.find("scaleblocks.ratelimit.overloaded").counters())
            .allSatisfy(c -> assertThat(c.count()).as("decisions not sent to Redis").isZero());
      }
    } finally {
      limiters.forEach(RateLimiter::close);
      opened.forEach(RedisClients.Client::close);
    }
    long p = period.toMillis();
    long allowance = switch (algorithm) {
      case TOKEN_BUCKET, GCRA -> quota + (after - before) * quota / p;
      case FIXED_WINDOW -> quota * (Math.floorDiv(after, p) - Math.floorDiv(before, p) + 1);
      case SLIDING_WINDOW -> throw new AssertionError("not a strict bound");
    };
    assertThat(decisions.get()).as("the key was hammered").isGreaterThan(2 * allowance);
    System.out.printf("%s on %s through %s%s: %d decisions, %d admitted, %d refunds asked, %d"
            + " gave back, allowance %d over %d ms%n", algorithm, topology, kind,
        refunds ? " with refunds" : "", decisions.get(), admitted.get(), refundsAsked.get(),
        refunded.get(), allowance, after - before);
    assertThat(admitted.get() - refunded.get())
        .as("admitted %d minus refunded %d over %d ms of Redis time", admitted.get(),
            refunded.get(), after - before)
        .isLessThanOrEqualTo(allowance)
        .isGreaterThanOrEqualTo(quota);
    if (refunds) {
      assertThat(refunded.get()).as("refunds gave permits back").isPositive();
      assertThat(admitted.get()).as("refunded permits admitted again").isGreaterThan(quota);
    }
  }

  private static long redisMillis(Jedis jedis) {
    List<String> t = jedis.time();
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }
}
