package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.TestServices;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.UnifiedJedis;

/**
 * A healthy Redis and a client that is too busy: 96 callers (half blocking, half async) and CPU
 * burners on this machine's two cores hammer one key for about 10 s through a limiter with the
 * default store timeout (100 ms), breaker and failure policy (FAIL_OPEN). Waiting for a local
 * store thread is not a Redis failure: the breaker stays put and the admissions stay within the
 * allowance Redis computes plus the documented local share, instead of the failure policy
 * admitting everything.
 */
class SaturatedClientIT {

  private static final int CALLERS = 96;
  private static final int BURNERS = 4;
  private static final long RUN_MILLIS = 10_000;
  private static final long QUOTA = 100;
  private static final int INSTANCES = 4;
  private static final Duration PERIOD = Duration.ofSeconds(1);

  private static final InetSocketAddress REDIS = TestServices.redis();

  @Test
  void aBusyClientIsNotASickRedis() throws Exception {
    RateLimitPolicy policy = RateLimitPolicy.builder("saturated-" + UUID.randomUUID())
        .limit(QUOTA, PERIOD).build();
    String prefix = "scaleblocks:test:saturated:" + UUID.randomUUID() + ":";
    String key = "198.51.100.9";
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicLong admitted = new AtomicLong();
    AtomicLong decisions = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    long before;
    long after;
    double transitions;
    double fallbacks;
    double overloaded;
    try (UnifiedJedis client = RedisClients.standalone();
        RateLimiter limiter = RateLimiter.builder(policy).redis(client).keyPrefix(prefix)
            .instances(INSTANCES).telemetry(Telemetry.of(registry)).build();
        Jedis time = new Jedis(REDIS.getHostString(), REDIS.getPort())) {
      for (int b = 0; b < BURNERS; b++) {
        Thread burner = new Thread(() -> {
          long x = 0;
          while (!stop.get()) {
            x += System.nanoTime() % 7;
          }
          if (x == 42) {
            System.out.print("");
          }
        }, "burner-" + b);
        burner.setDaemon(true);
        threads.add(burner);
      }
      for (int c = 0; c < CALLERS; c++) {
        boolean async = c % 2 == 1;
        Thread caller = new Thread(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            return;
          }
          while (!stop.get()) {
            decisions.incrementAndGet();
            Decision d = async ? limiter.tryAcquireAsync(key, 1).join() : limiter.tryAcquire(key);
            if (d.allowed()) {
              admitted.incrementAndGet();
            }
          }
        }, "caller-" + c);
        caller.setDaemon(true);
        threads.add(caller);
      }
      threads.forEach(Thread::start);
      before = redisMillis(time);
      go.countDown();
      Thread.sleep(RUN_MILLIS);
      stop.set(true);
      for (Thread t : threads) {
        t.join(10_000);
      }
      after = redisMillis(time);
      // read before close(): the limiter removes its meters when it closes
      transitions = sum(registry.find("scaleblocks.breaker.transitions"));
      fallbacks = sum(registry.find("scaleblocks.ratelimit.fallbacks"));
      overloaded = sum(registry.find("scaleblocks.ratelimit.overloaded"));
    }
    long elapsed = after - before;
    long p = PERIOD.toMillis();
    long allowance = QUOTA + elapsed * QUOTA / p;
    long shareQuota = Math.max(1, QUOTA / INSTANCES);
    long localShare = shareQuota + elapsed * shareQuota / p;
    System.out.printf(
        "saturated client: %d decisions in %d ms of Redis time, %d admitted, allowance %d, "
            + "local share %d, breaker transitions %.0f, failure-policy decisions %.0f, "
            + "overload decisions %.0f%n",
        decisions.get(), elapsed, admitted.get(), allowance, localShare, transitions, fallbacks,
        overloaded);
    assertThat(decisions.get()).as("the key was hammered").isGreaterThan(2 * allowance);
    assertThat(transitions).as("breaker transitions").isLessThanOrEqualTo(2);
    assertThat(admitted.get()).as("admissions")
        .isLessThanOrEqualTo((long) (allowance * 1.1) + localShare);
  }

  private static double sum(Search search) {
    return search.counters().stream().mapToDouble(Counter::count).sum();
  }

  private static long redisMillis(Jedis jedis) {
    List<String> t = jedis.time();
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }
}
