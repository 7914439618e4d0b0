package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.testing.ThrowawaySentinel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisSentinelClient;

/**
 * A strict (FAIL_CLOSED) Redis limiter over a {@code RedisSentinelClient} under load from many
 * threads while the master fails over, once by {@code SENTINEL FAILOVER} and once by SIGKILL.
 *
 * <p>Every key allows {@value #QUOTA} permits an hour (a token bucket that refills one permit per
 * six minutes, so nothing refills during the test): the threads walk through fresh keys, taking
 * each until it refuses, so admissions go on all through the failover. Afterwards every key
 * touched is drained on the new master. A key admitted more than {@value #QUOTA} times in total
 * lost counts in the failover (writes the old master acknowledged but never replicated): that is
 * the over-admission a failover costs, measured rather than assumed zero. The test also measures
 * how long the client kept deciding by the failure policy (no Redis decision) and when it moved to
 * the new master, and that no decision waited much beyond the store timeout.
 */
class SentinelFailoverIT {

  private static final Logger log = LoggerFactory.getLogger(SentinelFailoverIT.class);

  private static final long QUOTA = 10;
  private static final int THREADS = 8;
  private static final Duration STORE_TIMEOUT = Duration.ofMillis(200);
  private static final Duration BREAKER_OPEN = Duration.ofMillis(500);

  enum Fault { SENTINEL_FAILOVER, KILL_MASTER }

  enum Client { JEDIS, LETTUCE }

  /**
   * {@code minReplicas}: the data nodes run with {@code min-replicas-to-write 1}, so a master whose
   * replica has left (promoted by the failover) refuses writes instead of taking counts that will
   * be lost — and the new master refuses them too until the old one has become its replica.
   */
  @ParameterizedTest(name = "{2}: {0}, min-replicas-to-write {1}")
  @CsvSource({
    "SENTINEL_FAILOVER, false, JEDIS", "SENTINEL_FAILOVER, true, JEDIS", "KILL_MASTER, false, JEDIS",
    "SENTINEL_FAILOVER, false, LETTUCE", "KILL_MASTER, false, LETTUCE"
  })
  void decisionsComeBackFromTheNewMasterAndTheFailoverCostIsMeasured(
      Fault fault, boolean minReplicas, Client clientKind) throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RateLimitPolicy policy = RateLimitPolicy.builder("sentinel-" + fault.name().toLowerCase(java.util.Locale.ROOT))
        .algorithm(Algorithm.TOKEN_BUCKET).limit(QUOTA, Duration.ofHours(1)).build();
    String prefix = "scaleblocks:test:sentinel:" + UUID.randomUUID() + ":";
    try (ThrowawaySentinel group = ThrowawaySentinel.start(1, minReplicas
            ? List.of("--min-replicas-to-write", "1", "--min-replicas-max-lag", "10") : List.of());
        SentinelClient client = SentinelClient.of(clientKind, group);
        RateLimiter limiter = client.configure(RateLimiter.builder(policy)).keyPrefix(prefix)
            .storeTimeout(STORE_TIMEOUT).failurePolicy(FailurePolicy.FAIL_CLOSED)
            .circuitBreaker(CircuitBreaker.builder("sentinel-" + clientKind + "-" + fault + "-" + UUID.randomUUID())
                .waitDurationInOpenState(BREAKER_OPEN).build())
            .telemetry(Telemetry.of(registry)).build()) {
      Counter fallbacks = registry.get("scaleblocks.ratelimit.fallbacks").counter();
      int oldMaster = group.masterPort();
      Map<String, AtomicLong> admittedPerKey = new ConcurrentHashMap<>();
      AtomicLong decisions = new AtomicLong();
      AtomicLong slowest = new AtomicLong();
      List<Throwable> errors = new CopyOnWriteArrayList<>();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong admittedAll = new AtomicLong();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        Thread th = new Thread(() -> {
          long keyNo = 0;
          while (!stop.get()) {
            String key = thread + "-" + keyNo++;
            AtomicLong admitted = admittedPerKey.computeIfAbsent(key, k -> new AtomicLong());
            while (!stop.get()) {
              long start = System.nanoTime();
              Decision d;
              try {
                d = limiter.tryAcquire(key);
              } catch (Throwable e) {
                errors.add(e);
                return;
              }
              slowest.accumulateAndGet(System.nanoTime() - start, Math::max);
              decisions.incrementAndGet();
              // paced a little: on two shared cores a sentinel starved of CPU for 2 s enters TILT
              // mode and stops failing over
              LockSupport.parkNanos(100_000);
              if (!d.allowed()) {
                if (d.retryAfter().compareTo(Duration.ofSeconds(1)) > 0) {
                  break; // taken: next key
                }
                // refused by the failure policy (Retry-After 1 s) while Redis is away: same key again
                LockSupport.parkNanos(200_000);
                continue;
              }
              admitted.incrementAndGet();
              admittedAll.incrementAndGet();
            }
          }
        }, "sentinel-load-" + t);
        th.setDaemon(true);
        th.start();
        threads.add(th);
      }

      Thread.sleep(1_000);
      long decisionsBefore = decisions.get();
      double fallbacksBefore = fallbacks.count();
      long admittedAtFault = admittedAll.get();
      long faultAt = System.nanoTime();
      switch (fault) {
        case SENTINEL_FAILOVER -> group.failover();
        case KILL_MASTER -> group.killMaster();
      }
      // sample until the client is on the new master and decisions have come from Redis for 1 s
      long switchedAt = -1;
      long admittedAtSwitch = -1;
      boolean demoted = false;
      long demotedAt = -1;
      long lastFallbackAt = -1;
      double lastFallbacks = fallbacksBefore;
      long end = faultAt + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < end) {
        long now = System.nanoTime();
        double f = fallbacks.count();
        if (f > lastFallbacks) {
          lastFallbacks = f;
          lastFallbackAt = now;
        }
        if (switchedAt < 0 && isOtherMaster(client.currentMasterPort(), oldMaster)) {
          switchedAt = now;
          admittedAtSwitch = admittedAll.get();
        }
        if (minReplicas && !demoted && switchedAt >= 0 && now - switchedAt > TimeUnit.MILLISECONDS.toNanos(500)) {
          // the new master refuses writes until it has a replica: the sentinel makes the old master
          // one 8-10 s after the switch (15.8 and 17.3 s to the first Redis decision in two runs
          // that waited for it); do it now to keep the test short
          group.makeReplica(oldMaster);
          demoted = true;
          demotedAt = now;
        }
        if (switchedAt >= 0 && now - Math.max(switchedAt, lastFallbackAt) > TimeUnit.MILLISECONDS.toNanos(500)) {
          break;
        }
        Thread.sleep(2);
      }
      stop.set(true);
      for (Thread th : threads) {
        th.join(10_000);
      }
      int newMaster = group.masterPort();

      // drain every key touched, now on the new master: what it admits beyond the quota it forgot
      long drainStart = System.nanoTime();
      long overAdmitted = 0;
      long keysOver = 0;
      long admittedTotal = 0;
      long keys = 0;
      for (Map.Entry<String, AtomicLong> e : admittedPerKey.entrySet()) {
        long admitted = e.getValue().get();
        if (admitted == 0) {
          continue; // never admitted: the drain cannot take it past the quota
        }
        keys++;
        while (true) {
          Decision d = limiter.tryAcquire(e.getKey());
          if (d.allowed()) {
            admitted++;
          } else if (d.retryAfter().compareTo(Duration.ofSeconds(1)) > 0) {
            break;
          } else {
            assertThat(ms(System.nanoTime() - drainStart)).as("ms draining while Redis refuses").isLessThan(20_000);
            Thread.sleep(5); // refused by the failure policy: Redis is not answering yet
          }
        }
        admittedTotal += admitted;
        if (admitted > QUOTA) {
          overAdmitted += admitted - QUOTA;
          keysOver++;
        }
      }
      log.info("drained {} keys in {} ms", keys, ms(System.nanoTime() - drainStart));
      long allowance = QUOTA * keys;
      double fallbackDecisions = fallbacks.count() - fallbacksBefore;
      String figures = String.format(
          "%s %s%s: client on the new master after %d ms,%s last failure-policy decision %s, %.0f failure-policy "
              + "decisions (of %d during the failover), slowest decision %.1f ms; admitted %d against an "
              + "allowance of %d (%d keys x %d): over-admission %d permits on %d keys; %d permits were "
              + "admitted between the fault and the client's switch",
          clientKind, fault, minReplicas ? " (min-replicas-to-write 1)" : "", ms(switchedAt - faultAt),
          demoted ? " old master made its replica at " + ms(demotedAt - faultAt) + " ms," : "",
          lastFallbackAt < 0 ? "none" : "at " + ms(lastFallbackAt - faultAt) + " ms",
          fallbackDecisions, decisions.get() - decisionsBefore, slowest.get() / 1e6,
          admittedTotal, allowance, keys, QUOTA, overAdmitted, keysOver,
          admittedAtSwitch - admittedAtFault);
      log.info(figures);
      System.out.println("sentinel failover, rate limiter: " + figures);

      assertThat(errors).as("exceptions from tryAcquire").isEmpty();
      assertThat(newMaster).as("the sentinel named a new master%s", group.tilted() ? " (it is in TILT mode: starved of CPU)" : "").isNotEqualTo(oldMaster);
      assertThat(switchedAt).as("the client followed the sentinel").isPositive();
      assertThat(ms(switchedAt - faultAt)).as("ms until the client is on the new master").isLessThan(15_000);
      assertThat(ms(Math.max(switchedAt, lastFallbackAt) - faultAt))
          .as("ms until decisions come from Redis again").isLessThan(15_000);
      assertThat(slowest.get()).as("slowest decision (ns)")
          .isLessThan(STORE_TIMEOUT.multipliedBy(2).plusMillis(500).toNanos());
      assertThat(decisions.get()).as("load kept up").isGreaterThan(1_000);
      // A failover loses what the old master took after its replica was promoted (manual failover)
      // or had not sent it yet (kill): at most the permits admitted between the fault and the
      // client's move to the new master, plus one in-flight decision per thread.
      assertThat(overAdmitted).as("permits over-admitted by the failover")
          .isLessThanOrEqualTo(admittedAtSwitch - admittedAtFault + THREADS);
    }
  }

  /**
   * The client under test, made from the sentinel group the way a user would make it: Jedis'
   * {@code RedisSentinelClient}, or a Lettuce {@code RedisClient} on a {@code redis-sentinel://}
   * URI (which asks the sentinels for the master on every connect and reconnect).
   */
  private interface SentinelClient extends AutoCloseable {

    RateLimiterBuilder configure(RateLimiterBuilder builder);

    /** The master this client's connections go to now. */
    int currentMasterPort();

    @Override
    void close();

    static SentinelClient of(Client kind, ThrowawaySentinel group) {
      return switch (kind) {
        case JEDIS -> {
          RedisSentinelClient jedis = RedisSentinelClient.builder()
              .masterName(group.masterName())
              .sentinels(Set.of(new HostAndPort(group.host(), group.sentinelPort())))
              .clientConfig(DefaultJedisClientConfig.builder()
                  .socketTimeoutMillis(500).connectionTimeoutMillis(300).build())
              .build();
          yield new SentinelClient() {
            @Override
            public RateLimiterBuilder configure(RateLimiterBuilder builder) {
              return builder.redis(jedis);
            }

            @Override
            public int currentMasterPort() {
              return jedis.getCurrentMaster().getPort();
            }

            @Override
            public void close() {
              jedis.close();
            }
          };
        }
        case LETTUCE -> {
          io.lettuce.core.RedisClient lettuce = io.lettuce.core.RedisClient.create(
              io.lettuce.core.RedisURI.Builder.sentinel(group.host(), group.sentinelPort(), group.masterName())
                  .withTimeout(Duration.ofMillis(500)).build());
          lettuce.setOptions(io.lettuce.core.ClientOptions.builder()
              .socketOptions(io.lettuce.core.SocketOptions.builder().connectTimeout(Duration.ofMillis(300)).build())
              .build());
          yield new SentinelClient() {
            private long askedAt;
            private int port = -1;

            @Override
            public RateLimiterBuilder configure(RateLimiterBuilder builder) {
              return builder.lettuce(lettuce);
            }

            @Override
            public int currentMasterPort() {
              long now = System.nanoTime();
              if (port < 0 || now - askedAt > TimeUnit.MILLISECONDS.toNanos(50)) {
                askedAt = now;
                port = ask();
              }
              return port;
            }

            private int ask() {
              // a new connection resolves the master through the sentinels, as the limiter's own
              // connection does when it reconnects
              try (var c = lettuce.connect()) {
                String info = c.sync().info("server");
                for (String line : info.split("\r?\n")) {
                  if (line.startsWith("tcp_port:")) {
                    return Integer.parseInt(line.substring("tcp_port:".length()).trim());
                  }
                }
                return -1;
              } catch (RuntimeException e) {
                return -1; // no master reachable right now
              }
            }

            @Override
            public void close() {
              lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
          };
        }
      };
    }
  }

  private static boolean isOtherMaster(int port, int oldMaster) {
    return port > 0 && port != oldMaster;
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
