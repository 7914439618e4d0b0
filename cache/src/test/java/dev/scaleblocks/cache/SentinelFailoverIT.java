package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import dev.scaleblocks.core.testing.ThrowawaySentinel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisSentinelClient;

/**
 * Two instances of one cache (separate L1s, one key prefix, invalidation on), each over a client
 * of its own on the same sentinel group — Jedis' {@code RedisSentinelClient}, or a Lettuce {@code
 * RedisClient} on a {@code redis-sentinel://} URI — read, put and invalidate from several threads
 * while the master fails over: by {@code SENTINEL FAILOVER}, by SIGSTOP (the sentinel fails a
 * frozen master over; it thaws later as a second master until the sentinel demotes it) and by
 * SIGKILL. The clients' own timeouts (2 s) are far longer than the cache's L2 timeout, so the bound
 * on every call is the cache's deadline.
 *
 * <p>Measured and printed: when the clients' command connections were on the new master, when L2
 * hits came back, when the invalidation channel carried a put on A to B again (a probe that puts a
 * new value on A every few milliseconds and waits for B to serve it), the slowest call, and —
 * checked against a map standing for the database, after the failover — how many values survived
 * an invalidation issued around it. The writers stop once both clients have moved, so each key's
 * last invalidation is one issued before or during the failover and nothing later repairs what it
 * failed to do. Redis replicates asynchronously, so a DEL the old master took after its replica
 * was promoted is lost with it; such a value stays in L2 until its TTL. The test bounds that count
 * by the invalidations issued in that window. After the failover it checks that a put lands on the
 * new master, and that once A's invalidation of every key has reached B, B serves no stale value.
 */
class SentinelFailoverIT {

  private static final Logger log = LoggerFactory.getLogger(SentinelFailoverIT.class);

  private static final Duration L2_TIMEOUT = Duration.ofMillis(200);
  private static final int KEYS = 200;
  private static final int READERS = 6;
  private static final int WRITERS = 2;
  /** How long the channel probe waits for B to serve A's put before it counts it as not delivered. */
  private static final long PROBE_WAIT_MILLIS = 300;

  enum Fault { SENTINEL_FAILOVER, PAUSE_MASTER, KILL_MASTER }

  enum Client { JEDIS, LETTUCE }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({
    "JEDIS, SENTINEL_FAILOVER", "JEDIS, PAUSE_MASTER", "JEDIS, KILL_MASTER",
    "LETTUCE, SENTINEL_FAILOVER", "LETTUCE, PAUSE_MASTER", "LETTUCE, KILL_MASTER"
  })
  void l2AndInvalidationComeBackNoCallWaitsPastTheDeadlineAndLostInvalidationsAreCounted(
      Client kind, Fault fault) throws Exception {
    String name = "sentinel-" + UUID.randomUUID();
    SimpleMeterRegistry registryA = new SimpleMeterRegistry();
    SimpleMeterRegistry registryB = new SimpleMeterRegistry();
    SimpleMeterRegistry registryProbe = new SimpleMeterRegistry();
    Map<String, Long> database = new ConcurrentHashMap<>();
    Map<String, Long> lastInvalidation = new ConcurrentHashMap<>();
    ThrowawayRedis paused = null;
    // set in finally too: a failed test must not leave its threads calling closed caches
    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean stopWriters = new AtomicBoolean();
    try (ThrowawaySentinel group = ThrowawaySentinel.start();
        CacheClient clientA = CacheClient.of(kind, group, "sentinel-it-a");
        CacheClient clientB = CacheClient.of(kind, group, "sentinel-it-b");
        TieredCache<String, String> a = cache(name, clientA, registryA);
        TieredCache<String, String> b = cache(name, clientB, registryB);
        // no L1 to speak of: every get asks L2, so its meters say when Redis answers again
        TieredCache<String, String> probe = clientA.configure(TieredCache.builder()
                .name(name + "-probe").keyCodec(Codec.utf8()).valueCodec(Codec.utf8()))
            .maximumSize(0).l1Ttl(Duration.ofMillis(1)).invalidation(false)
            .l2Timeout(L2_TIMEOUT)
            .circuitBreaker(CircuitBreaker.builder("cache.probe-" + UUID.randomUUID())
                .waitDurationInOpenState(Duration.ofMillis(500)).build())
            .telemetry(Telemetry.of(registryProbe))
            .build()) {
      probe.put("probe", "p");
      int oldMaster = group.masterPort();
      AtomicLong slowest = new AtomicLong();
      AtomicReference<String> slowestWhat = new AtomicReference<>("");
      AtomicLong faultAtRef = new AtomicLong(System.nanoTime());
      AtomicLong calls = new AtomicLong();
      AtomicLong invalidations = new AtomicLong();
      // the channel probe: the end of the last put on A that B did not serve within PROBE_WAIT_MILLIS
      AtomicLong lastUndeliveredAt = new AtomicLong(-1);
      AtomicLong lastDeliveredAt = new AtomicLong(-1);
      AtomicLong undelivered = new AtomicLong();
      AtomicLong delivered = new AtomicLong();
      List<Throwable> errors = new CopyOnWriteArrayList<>();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < READERS * 2; t++) {
        TieredCache<String, String> cache = t % 2 == 0 ? a : b;
        threads.add(daemon("sentinel-reader-" + t, () -> {
          while (!stop.get()) {
            String key = "k" + ThreadLocalRandom.current().nextInt(KEYS);
            timed(slowest, slowestWhat, faultAtRef, "get", calls, errors,
                () -> cache.get(key, k -> "v" + database.getOrDefault(k, 0L)));
          }
        }));
      }
      threads.add(daemon("sentinel-probe", () -> {
        while (!stop.get()) {
          timed(slowest, slowestWhat, faultAtRef, "probe get", calls, errors, () -> probe.get("probe", k -> "p"));
          LockSupport.parkNanos(1_000_000);
        }
      }));
      threads.add(daemon("sentinel-channel-probe", () -> {
        long n = 0;
        while (!stop.get()) {
          String value = Long.toString(++n);
          timed(slowest, slowestWhat, faultAtRef, "channel put", calls, errors, () -> {
            a.put("channel", value);
            return null;
          });
          long putAt = System.nanoTime();
          boolean seen = false;
          while (!seen && System.nanoTime() - putAt < TimeUnit.MILLISECONDS.toNanos(PROBE_WAIT_MILLIS)) {
            AtomicReference<String> got = new AtomicReference<>();
            timed(slowest, slowestWhat, faultAtRef, "channel get", calls, errors, () -> {
              got.set(b.get("channel", k -> "loaded"));
              return null;
            });
            seen = value.equals(got.get());
            if (!seen) {
              LockSupport.parkNanos(2_000_000);
            }
          }
          if (seen) {
            delivered.incrementAndGet();
            lastDeliveredAt.set(System.nanoTime());
          } else {
            undelivered.incrementAndGet();
            lastUndeliveredAt.set(System.nanoTime());
          }
          LockSupport.parkNanos(10_000_000);
        }
      }));
      for (int t = 0; t < WRITERS; t++) {
        threads.add(daemon("sentinel-writer-" + t, () -> {
          while (!stopWriters.get()) {
            String key = "k" + ThreadLocalRandom.current().nextInt(KEYS);
            database.merge(key, 1L, Long::sum);
            timed(slowest, slowestWhat, faultAtRef, "invalidate", calls, errors, () -> {
              a.invalidate(key);
              return null;
            });
            lastInvalidation.put(key, System.nanoTime());
            invalidations.incrementAndGet();
            try {
              Thread.sleep(1);
            } catch (InterruptedException e) {
              return;
            }
          }
        }));
      }

      Thread.sleep(1_000);
      assertThat(l2Hits(registryProbe)).as("L2 hits before the fault").isPositive();
      assertThat(delivered.get()).as("puts on A served by B before the fault").isPositive();
      long undeliveredBefore = undelivered.get();
      long invalidationsAtFault = invalidations.get();
      long faultAt = System.nanoTime();
      faultAtRef.set(faultAt);
      switch (fault) {
        case SENTINEL_FAILOVER -> group.failover();
        case PAUSE_MASTER -> paused = group.pauseMaster();
        case KILL_MASTER -> group.killMaster();
      }
      long switchedAt = -1;
      long invalidationsAtSwitch = -1;
      long lastErrorAt = -1;
      long hitsBackAt = -1;
      long errorsSeen = l2Errors(registryProbe);
      long hitsSeen = l2Hits(registryProbe);
      long lastSwitchCheck = 0;
      long end = faultAt + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < end) {
        long now = System.nanoTime();
        long e = l2Errors(registryProbe);
        long h = l2Hits(registryProbe);
        if (e > errorsSeen) {
          errorsSeen = e;
          lastErrorAt = now;
          hitsBackAt = -1;
        } else if (h > hitsSeen && switchedAt >= 0 && hitsBackAt < 0) {
          hitsBackAt = now;
        }
        hitsSeen = h;
        if (switchedAt < 0 && now - lastSwitchCheck > TimeUnit.MILLISECONDS.toNanos(20)) {
          lastSwitchCheck = now;
          int master = sentinelMaster(group);
          if (master > 0 && master != oldMaster && clientA.onMaster(master) && clientB.onMaster(master)) {
            switchedAt = now;
            // the last invalidations are the ones issued around the failover: nothing issued later
            // overwrites what they did (or failed to do) to L2
            stopWriters.set(true);
            invalidationsAtSwitch = invalidations.get();
          }
        }
        // done when L2 hits are back and B has served every put of A's for a second
        long lastMiss = lastUndeliveredAt.get();
        if (hitsBackAt >= 0 && now - hitsBackAt > TimeUnit.MILLISECONDS.toNanos(500)
            && now - Math.max(lastMiss, faultAt) > TimeUnit.MILLISECONDS.toNanos(1_000)) {
          break;
        }
        Thread.sleep(2);
      }
      // the channel is back once a put on A reached B after the last one that did not
      long channelBackAt = lastUndeliveredAt.get();
      boolean channelBack = lastDeliveredAt.get() > channelBackAt;
      long undeliveredAtExit = undelivered.get();
      long resumedAt = -1;
      if (paused != null) {
        resumedAt = System.nanoTime();
        paused.resume(); // back as a second master until the sentinel demotes it
      }
      Thread.sleep(500);
      stop.set(true);
      stopWriters.set(true);
      for (Thread t : threads) {
        t.join(10_000);
      }
      Thread.sleep(1_000); // every invalidation delivered (heartbeat 100 ms)

      // every key against the database, on both instances
      List<String> stale = staleKeys(a, b, database, lastInvalidation, faultAt);

      // a put after the failover lands on the new master, and B reads it from there
      int newMaster = group.masterPort();
      String landed = "landed-" + UUID.randomUUID();
      a.put(landed, "x");
      boolean onNewMaster;
      try (Jedis j = new Jedis(group.host(), newMaster)) {
        onNewMaster = j.exists(name + ":" + landed);
      }
      String bReadLanded = b.get(landed, k -> "loaded");

      // every key invalidated on A after the failover: once B has heard it, B serves nothing stale
      long receivedBefore = received(registryB);
      for (int i = 0; i < KEYS; i++) {
        String key = "k" + i;
        database.merge(key, 1L, Long::sum);
        a.invalidate(key);
      }
      long invalidatedAt = System.nanoTime();
      while (received(registryB) - receivedBefore < KEYS
          && System.nanoTime() - invalidatedAt < TimeUnit.SECONDS.toNanos(5)) {
        Thread.sleep(1);
      }
      long heardAllAfter = System.nanoTime() - invalidatedAt;
      List<String> staleAfter = staleKeys(a, b, database, lastInvalidation, faultAt);

      // and the instances hear each other again on the new master: a put on A drops B's L1 copy
      String probeKey = "after-" + UUID.randomUUID();
      a.put(probeKey, "1");
      String bReadPut = b.get(probeKey, k -> "loaded");
      long putAt = System.nanoTime();
      a.put(probeKey, "2");
      while (!"2".equals(b.getIfPresent(probeKey)) && System.nanoTime() - putAt < TimeUnit.SECONDS.toNanos(5)) {
        Thread.sleep(1);
      }
      long heardAfter = System.nanoTime() - putAt;

      String figures = String.format(
          "%s %s: clients on the new master after %s, last L2 error %s, L2 hits back at %s, invalidation channel back "
              + "at %s (puts on A that B did not serve within %d ms: %d, served: %d; %d more after that, "
              + "under CPU starvation)%s, slowest call %.1f ms "
              + "(%s; l2Timeout %d ms, client timeouts 2000 ms) over %d calls; %d of %d invalidations issued "
              + "between the fault and the switch (the last ones); stale after the failover: %d %s; "
              + "after it: a put on A on the new master %s, B heard %d invalidations of A's in %.1f ms and served "
              + "%d stale values, B saw A's put in %.1f ms",
          kind, fault, switchedAt < 0 ? "never" : ms(switchedAt - faultAt) + " ms",
          lastErrorAt < 0 ? "none" : "at " + ms(lastErrorAt - faultAt) + " ms",
          hitsBackAt < 0 ? "never" : ms(hitsBackAt - faultAt) + " ms",
          channelBackAt < 0 || channelBackAt < faultAt ? "no gap" : ms(channelBackAt - faultAt) + " ms",
          PROBE_WAIT_MILLIS, undeliveredAtExit - undeliveredBefore, delivered.get(), undelivered.get() - undeliveredAtExit,
          resumedAt < 0 ? "" : ", master thawed at " + ms(resumedAt - faultAt) + " ms",
          slowest.get() / 1e6, slowestWhat.get(), L2_TIMEOUT.toMillis(), calls.get(),
          invalidationsAtSwitch - invalidationsAtFault, invalidations.get(), stale.size(), stale,
          onNewMaster ? "yes" : "NO", received(registryB) - receivedBefore, heardAllAfter / 1e6,
          staleAfter.size(), heardAfter / 1e6);
      log.info(figures);
      System.out.println("sentinel failover, tiered cache: " + figures);

      assertThat(errors).as("exceptions seen by callers").isEmpty();
      assertThat(group.masterPort()).as("the sentinel named a new master%s", group.tilted() ? " (it is in TILT mode: starved of CPU)" : "").isNotEqualTo(oldMaster);
      assertThat(switchedAt).as("both clients followed the sentinel").isPositive();
      assertThat(hitsBackAt).as("L2 hits came back").isPositive();
      assertThat(ms(hitsBackAt - faultAt)).as("ms until L2 hits again").isLessThan(15_000);
      // (a frozen master thaws only after this: the instances must have moved without it)
      assertThat(channelBack).as("B served A's puts again after the last one it missed").isTrue();
      assertThat(channelBackAt < 0 ? 0 : ms(channelBackAt - faultAt))
          .as("ms until B served A's puts again").isLessThan(15_000);
      assertThat(onNewMaster).as("a put after the failover is on the new master").isTrue();
      assertThat(bReadLanded).as("B reads A's put from the new master").isEqualTo("x");
      assertThat(bReadPut).as("B reads A's put, after the failover").isEqualTo("1");
      assertThat(staleAfter).as("stale values on A or B once A's invalidations after the failover reached B").isEmpty();
      assertThat(heardAfter).as("ns until B dropped its copy after A's put, on the new master")
          .isLessThan(TimeUnit.SECONDS.toNanos(2));
      // a get is at most an L2 read, a load and an L2 write, each Redis call under l2Timeout; the
      // margin is for a CPU shared with the servers and other builds
      assertThat(slowest.get()).as("slowest call (ns): %s", slowestWhat.get())
          .isLessThan(L2_TIMEOUT.multipliedBy(3).plusMillis(1_000).toNanos());
      // what can survive: an invalidation the old master took after the promotion (or had not
      // replicated when it died), at most those issued before the clients moved, plus one in
      // flight per writer
      assertThat((long) stale.size()).as("values that survived an invalidation: %s", stale)
          .isLessThanOrEqualTo(2 * (invalidationsAtSwitch - invalidationsAtFault + WRITERS));
    } finally {
      stop.set(true);
      stopWriters.set(true);
      if (paused != null && paused.isAlive()) {
        paused.resume();
      }
    }
  }

  private static List<String> staleKeys(TieredCache<String, String> a, TieredCache<String, String> b,
      Map<String, Long> database, Map<String, Long> lastInvalidation, long faultAt) {
    List<String> stale = new ArrayList<>();
    for (int i = 0; i < KEYS; i++) {
      String key = "k" + i;
      String expected = "v" + database.getOrDefault(key, 0L);
      for (TieredCache<String, String> cache : List.of(a, b)) {
        String got = cache.get(key, k -> "v" + database.getOrDefault(k, 0L));
        if (!expected.equals(got)) {
          Long at = lastInvalidation.get(key);
          stale.add(key + " on " + (cache == a ? "A" : "B") + ": " + got + " instead of " + expected
              + " (last invalidated " + (at == null ? "never" : ms(at - faultAt) + " ms after the fault") + ")");
        }
      }
    }
    return stale;
  }

  private static int sentinelMaster(ThrowawaySentinel group) {
    try {
      return group.masterPort();
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private interface Call {
    Object run();
  }

  private static void timed(AtomicLong slowest, AtomicReference<String> slowestWhat, AtomicLong faultAt,
      String what, AtomicLong calls, List<Throwable> errors, Call call) {
    long start = System.nanoTime();
    try {
      call.run();
    } catch (Throwable e) {
      errors.add(e);
    }
    long took = System.nanoTime() - start;
    if (took > slowest.getAndAccumulate(took, Math::max)) {
      slowestWhat.set(what + " started " + ms(start - faultAt.get()) + " ms after the fault");
    }
    calls.incrementAndGet();
  }

  /**
   * A client of the kind under test on the group, made the way a user would make it, with
   * timeouts (2 s) far above the cache's L2 timeout.
   */
  private interface CacheClient extends AutoCloseable {

    TieredCacheBuilder<String, String> configure(TieredCacheBuilder<String, String> builder);

    /** Whether this client's commands go to the node on {@code port} now. */
    boolean onMaster(int port);

    @Override
    void close();

    static CacheClient of(Client kind, ThrowawaySentinel group, String clientName) {
      return switch (kind) {
        case JEDIS -> {
          RedisSentinelClient jedis = RedisSentinelClient.builder()
              .masterName(group.masterName())
              .sentinels(Set.of(new HostAndPort(group.host(), group.sentinelPort())))
              .clientConfig(DefaultJedisClientConfig.builder()
                  .socketTimeoutMillis(2_000).connectionTimeoutMillis(2_000).build())
              .build();
          yield new CacheClient() {
            @Override
            public TieredCacheBuilder<String, String> configure(TieredCacheBuilder<String, String> builder) {
              return builder.redis(jedis);
            }

            @Override
            public boolean onMaster(int port) {
              return jedis.getCurrentMaster().getPort() == port;
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
                  .withClientName(clientName).withTimeout(Duration.ofSeconds(2)).build());
          lettuce.setOptions(io.lettuce.core.ClientOptions.builder()
              .socketOptions(io.lettuce.core.SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).build())
              .build());
          yield new CacheClient() {
            @Override
            public TieredCacheBuilder<String, String> configure(TieredCacheBuilder<String, String> builder) {
              return builder.lettuce(lettuce);
            }

            /** The cache's command connection is this client's one normal (not pub/sub) connection. */
            @Override
            public boolean onMaster(int port) {
              try (Jedis j = new Jedis(group.host(), port, 500)) {
                return j.clientList(redis.clients.jedis.args.ClientType.NORMAL).contains(" name=" + clientName + " ");
              } catch (RuntimeException e) {
                return false;
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

  private static TieredCache<String, String> cache(String name, CacheClient client, SimpleMeterRegistry registry) {
    return client.configure(TieredCache.builder()
            .name(name)
            .keyCodec(Codec.utf8())
            .valueCodec(Codec.utf8()))
        .l2Timeout(L2_TIMEOUT)
        .l1Ttl(Duration.ofSeconds(30))
        .invalidationHeartbeat(Duration.ofMillis(100))
        .circuitBreaker(CircuitBreaker.builder("cache." + name + "-" + UUID.randomUUID())
            .waitDurationInOpenState(Duration.ofMillis(500)).build())
        .telemetry(Telemetry.of(registry))
        .build();
  }

  private static long l2Hits(SimpleMeterRegistry registry) {
    return (long) registry.get("scaleblocks.cache.gets").tags("tier", "l2", "result", "hit")
        .functionCounter().count();
  }

  private static long l2Errors(SimpleMeterRegistry registry) {
    return (long) registry.get("scaleblocks.cache.l2.errors").functionCounter().count();
  }

  private static long received(SimpleMeterRegistry registry) {
    return (long) registry.get("scaleblocks.cache.invalidations").tags("direction", "received")
        .functionCounter().count();
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
