package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import io.lettuce.core.RedisURI;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Decisions of many threads at once over a client that does not block (Lettuce, coalesced Jedis)
 * leave in batches, one script call for many decisions: strict all the same (exactly the limit
 * admitted, on one hot key and over spread keys, standalone and Cluster), fewer script calls than
 * decisions on a private server's {@code INFO commandstats}, and a decision Redis fails by itself
 * (its key holds a hash) fails alone: the others of its batch are decided by Redis.
 */
class BatchedDecisionsIT {

  private static final int THREADS = 32;

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"LETTUCE, standalone", "LETTUCE, cluster", "COALESCING_JEDIS, standalone",
      "COALESCING_JEDIS, cluster"})
  void manyThreadsAdmitExactlyTheLimit(RedisClients.Kind kind, String topology) throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    int perThread = 150;
    try (RedisClients.Client client = kind.open(topology);
        RateLimiter limiter = strict(client, 2_000, registry)) {
      // one hot key: 4 800 asks against 2 000
      long hot = run(THREADS, perThread, (t, i) -> limiter.tryAcquire("hot").allowed());
      assertThat(hot).as("admitted on the hot key").isEqualTo(2_000);
    }
    try (RedisClients.Client client = kind.open(topology);
        RateLimiter limiter = strict(client, 3, registry)) {
      // 1 000 keys, each asked 4 times in all, by 4 different threads: 3 admitted per key
      long spread = run(THREADS, 125, (t, i) -> limiter.tryAcquire("k" + ((t * 125 + i) % 1_000))
          .allowed());
      assertThat(spread).as("admitted over 1 000 keys of limit 3").isEqualTo(3_000);
    }
    assertThat(registry.find("scaleblocks.ratelimit.fallbacks").counters())
        .allSatisfy(c -> assertThat(c.count()).as("fallback decisions").isZero());
    assertThat(registry.find("scaleblocks.ratelimit.overloaded").counters())
        .allSatisfy(c -> assertThat(c.count()).as("overload decisions").isZero());
  }

  @ParameterizedTest
  @EnumSource(names = {"LETTUCE", "COALESCING_JEDIS"})
  void concurrentDecisionsShareScriptCalls(RedisClients.Kind kind) throws Exception {
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        Jedis admin = new Jedis(redis.host(), redis.port());
        RedisClients.Client client = client(kind, redis);
        RateLimiter limiter = strict(client, "calls", 1_000_000).build()) {
      limiter.tryAcquire("warm-up"); // loads the script
      Map<String, Long> before = RoundTripIT.commandCalls(admin);
      int perThread = 300;
      long admitted = run(THREADS, perThread,
          (t, i) -> limiter.tryAcquire("k" + ((t * perThread + i) % 1_000)).allowed());
      Map<String, Long> after = RoundTripIT.commandCalls(admin);
      long decisions = (long) THREADS * perThread;
      long calls = after.getOrDefault("evalsha", 0L) - before.getOrDefault("evalsha", 0L)
          + after.getOrDefault("eval", 0L) - before.getOrDefault("eval", 0L);
      System.out.printf("%s: %d decisions from %d threads in %d script calls (%.2f per call)%n",
          kind, decisions, THREADS, calls, (double) decisions / calls);
      assertThat(admitted).isEqualTo(decisions);
      assertThat(calls).as("script calls for %d decisions", decisions)
          .isPositive().isLessThan(decisions * 9 / 10);
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"LETTUCE", "COALESCING_JEDIS"})
  void aDecisionRedisFailsFailsAloneInItsBatch(RedisClients.Kind kind) throws Exception {
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        Jedis admin = new Jedis(redis.host(), redis.port());
        RedisClients.Client client = client(kind, redis);
        RateLimiter limiter = strict(client, "alone", 1_000).keyPrefix("p:").build()) {
      limiter.tryAcquire("warm-up");
      admin.hset("{p:bad}:s0", "field", "not a limiter's state");
      Map<String, Long> before = RoundTripIT.commandCalls(admin);
      for (int round = 0; round < 20; round++) {
        List<CompletableFuture<Decision>> asked = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          asked.add(limiter.tryAcquireAsync(i == 20 ? "bad" : "good-" + round + "-" + i, 1));
        }
        for (int i = 0; i < asked.size(); i++) {
          Decision d = asked.get(i).get(10, TimeUnit.SECONDS);
          assertThat(d.allowed()).as("round %d, decision %d: %s", round, i, d).isEqualTo(i != 20);
        }
      }
      Map<String, Long> after = RoundTripIT.commandCalls(admin);
      long calls = after.getOrDefault("evalsha", 0L) - before.getOrDefault("evalsha", 0L);
      assertThat(calls).as("script calls for 800 decisions asked 40 at a time").isLessThan(800);
      assertThat(admin.hget("{p:bad}:s0", "field")).isEqualTo("not a limiter's state");
    }
  }

  /**
   * A Redis paused while 16 threads decide, batches in flight and more queued behind them: every
   * decision still comes back within a bound (the store timeout, 200 ms, decides; asserted under
   * 2 s), decisions are refused while Redis is away (fail closed), and once it resumes they are
   * decided by Redis again, within 2 s of the resume with a breaker that tries again after 200 ms:
   * the batches answered late and the decisions queued behind them do not hold the limiter up.
   * Prints the slowest decision and how long after the resume the first
   * admission came.
   */
  @ParameterizedTest
  @EnumSource(names = {"LETTUCE", "COALESCING_JEDIS"})
  void aPausedRedisWithBatchesInFlightIsLeftBehindWhenItResumes(RedisClients.Kind kind)
      throws Exception {
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        RedisClients.Client client = client(kind, redis);
        RateLimiter limiter = client.on(RateLimiter.builder(RateLimitPolicy
                .builder("paused").limit(100_000_000, Duration.ofHours(1)).build()))
            .failurePolicy(FailurePolicy.FAIL_CLOSED).storeTimeout(Duration.ofMillis(200))
            // trial calls 200 ms after the breaker opens (5 s by default), so that what the
            // resume shows is the limiter's own recovery, not the breaker's wait
            .circuitBreaker(CircuitBreaker.builder("paused")
                .slowCallDuration(Duration.ofMillis(200))
                .waitDurationInOpenState(Duration.ofMillis(200)).build())
            .build()) {
      assertThat(limiter.tryAcquire("warm-up").allowed()).isTrue();
      AtomicLong slowest = new AtomicLong();
      AtomicLong refusedWhilePaused = new AtomicLong();
      AtomicLong firstAdmittedAfterResume = new AtomicLong(Long.MAX_VALUE);
      AtomicLong resumedAt = new AtomicLong(Long.MAX_VALUE);
      AtomicLong pausedAt = new AtomicLong(Long.MAX_VALUE);
      java.util.concurrent.atomic.AtomicBoolean running =
          new java.util.concurrent.atomic.AtomicBoolean(true);
      List<Thread> deciders = new ArrayList<>();
      List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
      for (int t = 0; t < 16; t++) {
        int thread = t;
        Thread th = new Thread(() -> {
          int i = 0;
          while (running.get()) {
            long start = System.nanoTime();
            try {
              Decision d = limiter.tryAcquire("k" + thread + "-" + (i++ % 50));
              long end = System.nanoTime();
              slowest.accumulateAndGet(end - start, Math::max);
              if (d.allowed() && start > resumedAt.get()) {
                firstAdmittedAfterResume.accumulateAndGet(end, Math::min);
              }
              if (!d.allowed() && start > pausedAt.get() && end < resumedAt.get()) {
                refusedWhilePaused.incrementAndGet();
              }
            } catch (RuntimeException e) {
              errors.add(e);
              return;
            }
          }
        });
        th.start();
        deciders.add(th);
      }
      Thread.sleep(1_000);
      redis.pause();
      pausedAt.set(System.nanoTime());
      Thread.sleep(2_000);
      redis.resume();
      resumedAt.set(System.nanoTime());
      Thread.sleep(4_000);
      running.set(false);
      for (Thread th : deciders) {
        th.join(10_000);
      }
      long recovered = firstAdmittedAfterResume.get() == Long.MAX_VALUE ? -1
          : TimeUnit.NANOSECONDS.toMillis(firstAdmittedAfterResume.get() - resumedAt.get());
      System.out.printf("%s, Redis paused 2 s under 16 threads: slowest decision %d ms, %d refused"
          + " while paused, first admission %d ms after the resume%n", kind,
          TimeUnit.NANOSECONDS.toMillis(slowest.get()), refusedWhilePaused.get(), recovered);
      assertThat(errors).isEmpty();
      assertThat(TimeUnit.NANOSECONDS.toMillis(slowest.get())).as("slowest decision, ms")
          .isLessThan(2_000);
      assertThat(refusedWhilePaused.get()).as("decisions refused while Redis was paused")
          .isPositive();
      assertThat(recovered).as("ms from the resume to the first admission").isBetween(0L, 2_000L);
    }
  }

  /**
   * A strict limiter's builder for policy {@code name} of {@code perHour} on {@code client}: fail
   * closed, a store timeout of 5 s that a loaded machine never reaches.
   */
  private static RateLimiterBuilder strict(RedisClients.Client client, String name, long perHour) {
    return client.on(RateLimiter.builder(RateLimitPolicy.builder(name)
            .limit(perHour, Duration.ofHours(1)).build()))
        .failurePolicy(FailurePolicy.FAIL_CLOSED)
        .storeTimeout(Duration.ofSeconds(5));
  }

  /** A strict limiter of {@code perHour}, keys of its own, meters to {@code registry}. */
  private static RateLimiter strict(RedisClients.Client client, long perHour,
      SimpleMeterRegistry registry) {
    return strict(client, "batched", perHour)
        .keyPrefix("scaleblocks:test:batched:" + UUID.randomUUID() + ":")
        .telemetry(Telemetry.of(registry))
        .build();
  }

  /** How many of {@code threads} × {@code each} calls of {@code ask} (thread, index) were true. */
  private static long run(int threads, int each, Ask ask) throws InterruptedException {
    AtomicLong yes = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> running = new ArrayList<>();
    List<Throwable> errors = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread th = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < each; i++) {
            if (ask.ask(thread, i)) {
              yes.incrementAndGet();
            }
          }
        } catch (Throwable e) {
          synchronized (errors) {
            errors.add(e);
          }
        }
      });
      th.start();
      running.add(th);
    }
    start.countDown();
    for (Thread th : running) {
      th.join(TimeUnit.MINUTES.toMillis(2));
    }
    assertThat(errors).isEmpty();
    return yes.get();
  }

  @FunctionalInterface
  private interface Ask {
    boolean ask(int thread, int index) throws Exception;
  }

  private static RedisClients.Client client(RedisClients.Kind kind, ThrowawayRedis redis) {
    if (kind == RedisClients.Kind.LETTUCE) {
      io.lettuce.core.RedisClient c =
          io.lettuce.core.RedisClient.create(RedisURI.create(redis.host(), redis.port()));
      return new RedisClients.Client(b -> b.lettuce(c), () -> c.shutdown(0, 2, TimeUnit.SECONDS));
    }
    UnifiedJedis jedis = RedisClient.create(redis.host(), redis.port());
    return new RedisClients.Client(b -> b.redis(jedis).coalesceRedisCalls(), jedis::close);
  }
}
