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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import redis.clients.jedis.Jedis;

/**
 * Strict correctness on the real Redis and the real Cluster, through Jedis and through Lettuce:
 * two independent client stacks (own clients, own limiters, own store threads or Lettuce
 * connection, client clocks skewed by +1 s and −1 s), 64 threads each, hammering one key. Admissions never exceed what the policy allows over the elapsed Redis
 * time: over-admission is exactly zero.
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
      "FIXED_WINDOW, cluster, LETTUCE"})
  void noOverAdmission(Algorithm algorithm, String topology, RedisClients.Kind kind)
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
          while (System.nanoTime() < end) {
            decisions.incrementAndGet();
            if (limiter.tryAcquire(key).allowed()) {
              admitted.incrementAndGet();
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
    assertThat(admitted.get()).as("admitted over %d ms of Redis time", after - before)
        .isLessThanOrEqualTo(allowance)
        .isGreaterThanOrEqualTo(quota);
  }

  private static long redisMillis(Jedis jedis) {
    List<String> t = jedis.time();
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }
}
