package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.testing.TestServices;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisSentinelClient;

/** The contract on L1 + standalone Redis through Jedis with the L2 calls of all threads coalesced. */
class CoalescingContractIT extends TieredCacheContract {

  private static RedisClient client;

  @BeforeAll
  static void connect() {
    client = RedisClients.standalone();
  }

  @AfterAll
  static void disconnect() {
    client.close();
  }

  @Override
  protected <K, V> TieredCacheBuilder<K, V> withL2(TieredCacheBuilder<K, V> builder) {
    return builder.redis(client).coalesceRedisCalls();
  }

  /**
   * Reads and writes ride the cache's own connection, not the client's pool: with the pool's only
   * connection held elsewhere, 16 threads still read what another instance wrote, without a load.
   */
  @Test
  void readsAndWritesNeedNoPooledConnection() throws Exception {
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(1);
    InetSocketAddress redis = TestServices.redis();
    String name = "coalesced-pool-" + UUID.randomUUID();
    try (RedisClient one = RedisClient.builder().hostAndPort(redis.getHostString(), redis.getPort())
            .clientConfig(RedisClients.config()).poolConfig(pool).build();
        TieredCache<String, String> writer = builder(name).redis(client).invalidation(false).build();
        TieredCache<String, String> reader = builder(name).redis(one).coalesceRedisCalls()
            .invalidation(false).l2Timeout(Duration.ofSeconds(2)).build()) {
      int keys = 160;
      for (int k = 0; k < keys; k++) {
        writer.put("k" + k, "v" + k);
      }
      Connection held = one.getPool().getResource(); // the rest of the application holds the only one
      AtomicInteger loads = new AtomicInteger();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      long start;
      try {
        for (int t = 0; t < 16; t++) {
          int first = t * (keys / 16);
          Thread th = new Thread(() -> {
            try {
              go.await();
              for (int k = first; k < first + keys / 16; k++) {
                String v = reader.get("k" + k, key -> "loaded-" + loads.incrementAndGet());
                assertThat(v).isEqualTo("v" + k);
              }
              reader.put("w" + first, "written"); // a SET, queued as well
            } catch (Throwable e) {
              failure.compareAndSet(null, e);
            }
          });
          th.start();
          threads.add(th);
        }
        start = System.nanoTime();
        go.countDown();
        for (Thread th : threads) {
          th.join(60_000);
        }
      } finally {
        held.close();
      }
      System.out.printf("coalesced L2: %d cold reads from 16 threads with the pool's only connection "
          + "held elsewhere in %d ms, %d loads%n", keys, (System.nanoTime() - start) / 1_000_000, loads.get());
      assertThat(failure.get()).isNull();
      assertThat(loads).as("every read answered by L2").hasValue(0);
      assertThat(writer.get("w0", k -> "missing")).isEqualTo("written");
    }
  }

  @Test
  void aSentinelClientOrNoClientIsRefusedAtBuild() {
    InetSocketAddress sentinel = TestServices.redisSentinel();
    try (RedisSentinelClient jedis = RedisSentinelClient.builder()
        .masterName(TestServices.redisSentinelMasterName())
        .sentinels(Set.of(new HostAndPort(sentinel.getHostString(), sentinel.getPort())))
        .clientConfig(RedisClients.config())
        .build()) {
      assertThatThrownBy(() -> builder("coalesced-sentinel").redis(jedis).coalesceRedisCalls().build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("coalesceRedisCalls needs a Jedis RedisClient or RedisClusterClient but the "
              + "client was a redis.clients.jedis.RedisSentinelClient");
    }
    assertThatThrownBy(() -> builder("coalesced-none").coalesceRedisCalls().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("coalesceRedisCalls needs redis to be set");
  }
}
