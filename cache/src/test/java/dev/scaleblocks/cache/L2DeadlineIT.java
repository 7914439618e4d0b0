package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.StallMeter;
import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.core.testing.ThrowawayClusters;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * One deadline per L2 call: with a client whose own limits are far longer than the cache's L2
 * timeout (2 s socket and connect timeouts, Jedis' default pools of 8 that wait forever), a paused
 * (SIGSTOP) Redis, standalone or a Cluster node, still costs a caller at most about {@code
 * l2Timeout}, and the client's pool is left exactly as its owner configured it.
 */
class L2DeadlineIT {

  private static final Logger log = LoggerFactory.getLogger(L2DeadlineIT.class);
  private static final Duration L2_TIMEOUT = Duration.ofMillis(300);
  private static final int THREADS = 16;

  /** A client whose own limits are far longer than the L2 timeout: 2 s socket and connect timeouts. */
  private static DefaultJedisClientConfig patientClient() {
    return DefaultJedisClientConfig.builder().socketTimeoutMillis(2_000).connectionTimeoutMillis(2_000).build();
  }

  @Test
  void aPausedRedisCostsACallAtMostTheL2TimeoutWhateverTheClientsOwnLimits() throws Exception {
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        RedisClient client = RedisClient.builder().hostAndPort(redis.host(), redis.port())
            .clientConfig(patientClient())
            .build()) {
      pausedServerCostsACallAtMostTheL2Timeout(client, redis, "standalone");
    }
  }

  @Test
  void aPausedClusterNodeCostsACallAtMostTheL2TimeoutWhateverTheClientsOwnLimits() throws Exception {
    try (ThrowawayRedis node = ThrowawayRedis.start("--cluster-enabled", "yes");
        RedisClusterClient client = ThrowawayClusters.oneNode(node, patientClient())) {
      pausedServerCostsACallAtMostTheL2Timeout(client, node, "cluster");
    }
  }

  @Test
  void aPausedRedisCostsALettuceCallAtMostTheL2Timeout() throws Exception {
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        TestL2 client = TestL2.lettuce(LettuceClients.standalone(redis.host(), redis.port()))) {
      pausedServerCostsACallAtMostTheL2Timeout(client, redis, "lettuce standalone");
    }
  }

  @Test
  void aPausedClusterNodeCostsALettuceCallAtMostTheL2Timeout() throws Exception {
    try (ThrowawayRedis node = ThrowawayRedis.start("--cluster-enabled", "yes")) {
      ThrowawayClusters.form(List.of(node));
      try (TestL2 client = TestL2.lettuce(io.lettuce.core.cluster.RedisClusterClient.create(
          io.lettuce.core.RedisURI.builder().withHost(node.host()).withPort(node.port())
              .withTimeout(Duration.ofSeconds(2)).build()))) {
        pausedServerCostsACallAtMostTheL2Timeout(client, node, "lettuce cluster");
      }
    }
  }

  private void pausedServerCostsACallAtMostTheL2Timeout(UnifiedJedis client, ThrowawayRedis redis, String kind)
      throws Exception {
    pausedServerCostsACallAtMostTheL2Timeout(new TestL2() {
      @Override
      public <K, V> TieredCacheBuilder<K, V> attach(TieredCacheBuilder<K, V> builder) {
        return builder.redis(client);
      }

      @Override
      public void close() {}
    }, redis, "jedis " + kind);
  }

  private void pausedServerCostsACallAtMostTheL2Timeout(TestL2 client, ThrowawayRedis redis, String kind)
      throws Exception {
    // 1 s open, so that half-open trials (which may open new connections) run while Redis is paused
    CircuitBreaker breaker = CircuitBreaker.builder("cache.deadline-" + UUID.randomUUID())
        .waitDurationInOpenState(Duration.ofSeconds(1)).build();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    try (StallMeter stalls = StallMeter.start();
        TieredCache<String, String> cache = client.attach(TieredCache.builder()
        .name("deadline-" + UUID.randomUUID())
        .keyCodec(Codec.utf8())
        .valueCodec(Codec.utf8()))
        .l2Timeout(L2_TIMEOUT)
        .l1Ttl(Duration.ofMillis(50))
        .circuitBreaker(breaker)
        .build()) {
      boolean[] stop = {false};
      long[] window = {Long.MAX_VALUE, Long.MAX_VALUE};
      AtomicLong maxInWindow = new AtomicLong();
      String[] opNames = {"get", "getAll", "put", "invalidate"};
      AtomicLong[] maxPerOp = {new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong()};
      AtomicLong callsInWindow = new AtomicLong();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        Thread th = new Thread(() -> {
          ThreadLocalRandom r = ThreadLocalRandom.current();
          while (!stop[0]) {
            String key = "d" + r.nextInt(500);
            int op = r.nextInt(10);
            long start = System.nanoTime();
            try {
              if (op < 6) {
                cache.get(key, k -> {
                  LockSupport.parkNanos(1_000_000); // a 1 ms database read
                  return "v-" + k;
                });
              } else if (op < 7) {
                cache.getAll(List.of(key, "d" + r.nextInt(500)), ks -> {
                  LockSupport.parkNanos(1_000_000);
                  Map<String, String> m = new java.util.HashMap<>();
                  for (String k : ks) {
                    m.put(k, "v-" + k);
                  }
                  return m;
                });
              } else if (op < 9) {
                cache.put(key, "v-" + key);
              } else {
                cache.invalidate(key);
              }
            } catch (Throwable e) {
              errors.add(e);
            }
            long end = System.nanoTime();
            if (start >= window[0] && start < window[1]) {
              callsInWindow.incrementAndGet();
              maxInWindow.accumulateAndGet(end - start, Math::max);
              maxPerOp[op < 6 ? 0 : op < 7 ? 1 : op < 9 ? 2 : 3].accumulateAndGet(end - start, Math::max);
            }
          }
        }, "deadline-worker-" + t);
        th.setDaemon(true);
        th.start();
        threads.add(th);
      }
      Thread.sleep(1_000);
      window[1] = Long.MAX_VALUE;
      stalls.reset();
      window[0] = System.nanoTime();
      redis.pause();
      Thread.sleep(4_000);
      window[1] = System.nanoTime();
      redis.resume();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (breaker.state() != CircuitBreaker.State.CLOSED && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      Thread.sleep(500);
      stop[0] = true;
      for (Thread t : threads) {
        t.join(10_000);
      }
      log.info("{}: paused 4 s, client timeouts 2 s (Jedis: pool waits forever), l2Timeout {}: {} calls, longest {} ms",
          kind, L2_TIMEOUT.toMillis(), callsInWindow.get(), String.format("%.1f", maxInWindow.get() / 1e6));
      for (int i = 0; i < opNames.length; i++) {
        log.info("{}: paused: longest {} {} ms", kind, opNames[i], String.format("%.1f", maxPerOp[i].get() / 1e6));
      }
      assertThat(errors).as("exceptions seen by callers").isEmpty();
      assertThat(breaker.state()).as("breaker after resume").isEqualTo(CircuitBreaker.State.CLOSED);
      // connections that timed out mid-reply were closed, not returned out of step: every reply
      // now answers its own command
      for (int i = 0; i < 200; i++) {
        String key = "after-" + i;
        cache.put(key, "stored-" + i);
        cache.invalidate(key); // L1 and L2 gone: the next get reads Redis, then loads
        assertThat(cache.get(key, k -> "loaded-" + k)).isEqualTo("loaded-" + key);
        assertThat(cache.getAll(List.of(key), ks -> Map.of())).containsExactly(Map.entry(key, "loaded-" + key));
      }
      // generous margin, widened by whatever stalled every thread of this JVM meanwhile
      long stalled = stalls.longestNanos();
      log.info("{}: longest stall of a thread that only parks for 1 ms, meanwhile: {} ms", kind,
          String.format("%.1f", stalled / 1e6));
      assertThat(maxInWindow.get()).as("longest call while paused (ns)")
          .isLessThan(L2_TIMEOUT.plusMillis(250).toNanos() + stalled);
    }
  }

  @Test
  void theClientsPoolIsLeftAsItsOwnerConfiguredIt() {
    try (RedisClient client = RedisClients.standalone()) {
      Duration maxWait = client.getPool().getMaxWaitDuration();
      boolean block = client.getPool().getBlockWhenExhausted();
      int maxTotal = client.getPool().getMaxTotal();
      try (TieredCache<String, String> cache = TieredCache.builder()
          .name("deadline-pool-" + UUID.randomUUID())
          .keyCodec(Codec.utf8())
          .valueCodec(Codec.utf8())
          .redis(client)
          .l2Timeout(L2_TIMEOUT)
          .build()) {
        String key = "deadline-pool-" + UUID.randomUUID();
        cache.put(key, "v");
        assertThat(cache.get(key, k -> "loaded")).isEqualTo("v");
        cache.invalidate(key);
        assertThat(client.getPool().getMaxWaitDuration()).as("pool max wait").isEqualTo(maxWait);
        assertThat(client.getPool().getBlockWhenExhausted()).as("pool blocks when exhausted").isEqualTo(block);
        assertThat(client.getPool().getMaxTotal()).as("pool size").isEqualTo(maxTotal);
      }
    }
  }

  @Test
  void anExhaustedPoolIsARedisFailureWithinTheL2TimeoutNotAnEndlessWait() {
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(1); // and Jedis' default wait: forever
    InetSocketAddress redis = TestServices.redis();
    try (RedisClient client = RedisClient.builder().hostAndPort(redis.getHostString(), redis.getPort())
        .clientConfig(RedisClients.config()).poolConfig(pool).build();
        TieredCache<String, String> cache = TieredCache.builder()
            .name("deadline-exhausted-" + UUID.randomUUID())
            .keyCodec(Codec.utf8())
            .valueCodec(Codec.utf8())
            .redis(client)
            .invalidation(false)
            .l2Timeout(L2_TIMEOUT)
            .build()) {
      Connection held = client.getPool().getResource(); // the rest of the application holds the only one
      try {
        long start = System.nanoTime();
        String v = cache.get("deadline-exhausted-" + UUID.randomUUID(), k -> "loaded");
        long took = System.nanoTime() - start;
        log.info("exhausted pool (1 of 1 held elsewhere, pool waits forever): get answered in {} ms",
            String.format("%.1f", took / 1e6));
        assertThat(v).isEqualTo("loaded");
        assertThat(took).as("get with the pool exhausted (ns)").isLessThan(L2_TIMEOUT.plusMillis(250).toNanos());
      } finally {
        held.close();
      }
      assertThat(client.getPool().getMaxWaitDuration()).as("pool max wait").isEqualTo(pool.getMaxWaitDuration());
    }
  }
}
