package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.codec.Codec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** Many callers on one cold key: one load per JVM, and one per cluster of instances with the lease. */
class StampedeIT {

  private static RedisClient clientA;
  private static RedisClient clientB;

  @BeforeAll
  static void connect() {
    clientA = RedisClients.standalone();
    clientB = RedisClients.standalone();
  }

  @AfterAll
  static void disconnect() {
    clientA.close();
    clientB.close();
  }

  private static TieredCacheBuilder<String, String> builder(String name, RedisClient client) {
    return TieredCache.builder().name(name).keyCodec(Codec.utf8()).valueCodec(Codec.utf8()).redis(client);
  }

  @Test
  void fiveHundredThreadsOnOneColdKeyLoadOnce() throws Exception {
    AtomicInteger loads = new AtomicInteger();
    try (TieredCache<String, String> cache = builder("stampede-" + UUID.randomUUID(), clientA).build()) {
      List<String> results = run(500, () -> cache.get("cold", k -> {
        loads.incrementAndGet();
        TieredCacheContract.sleep(200);
        return "value";
      }));
      assertThat(results).hasSize(500).containsOnly("value");
    }
    assertThat(loads).hasValue(1);
  }

  @Test
  void twoInstancesWithTheLeaseLoadOnce() throws Exception {
    String name = "lease-" + UUID.randomUUID();
    AtomicInteger loads = new AtomicInteger();
    try (TieredCache<String, String> a = builder(name, clientA).clusterLease(Duration.ofSeconds(3)).build();
        TieredCache<String, String> b = builder(name, clientB).clusterLease(Duration.ofSeconds(3)).build()) {
      List<String> results = run(100, new java.util.concurrent.Callable<>() {
        private final AtomicInteger turn = new AtomicInteger();

        @Override
        public String call() {
          TieredCache<String, String> cache = turn.incrementAndGet() % 2 == 0 ? a : b;
          return cache.get("cold", k -> {
            loads.incrementAndGet();
            TieredCacheContract.sleep(300);
            return "value";
          });
        }
      });
      assertThat(results).hasSize(100).containsOnly("value");
    }
    assertThat(loads).hasValue(1);
  }

  @Test
  void withoutTheLeaseTwoInstancesLoadAtMostTwice() throws Exception {
    String name = "nolease-" + UUID.randomUUID();
    AtomicInteger loads = new AtomicInteger();
    try (TieredCache<String, String> a = builder(name, clientA).build();
        TieredCache<String, String> b = builder(name, clientB).build()) {
      AtomicInteger turn = new AtomicInteger();
      run(100, () -> (turn.incrementAndGet() % 2 == 0 ? a : b).get("cold", k -> {
        loads.incrementAndGet();
        TieredCacheContract.sleep(300);
        return "value";
      }));
    }
    assertThat(loads.get()).isBetween(1, 2);
  }

  private static List<String> run(int threads, java.util.concurrent.Callable<String> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        futures.add(pool.submit(() -> {
          start.await();
          return task.call();
        }));
      }
      start.countDown();
      List<String> out = new ArrayList<>();
      for (Future<String> f : futures) {
        out.add(f.get(30, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}
