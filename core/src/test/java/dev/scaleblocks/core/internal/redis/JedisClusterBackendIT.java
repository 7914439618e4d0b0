package dev.scaleblocks.core.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.testing.TestServices;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * The backend contract over Jedis on the shared 3-master Cluster (throw-away servers, standalone,
 * through a Jedis standalone client).
 */
class JedisClusterBackendIT extends JedisBackendContract {

  private static UnifiedJedis client;
  private static RedisBackend backend;

  @BeforeAll
  static void connect() {
    Set<HostAndPort> seeds = new HashSet<>();
    for (InetSocketAddress node : TestServices.redisCluster()) {
      seeds.add(new HostAndPort(node.getHostString(), node.getPort()));
    }
    client = RedisClusterClient.create(seeds);
    backend = RedisBackends.of(client);
    assertThat(backend.cluster()).isTrue();
  }

  @AfterAll
  static void close() {
    client.close();
  }

  @Override
  protected RedisBackend backend() {
    return backend;
  }

  @Override
  protected RedisBackend over(UnifiedJedis c) {
    return RedisBackends.of(c);
  }

  @Override
  protected boolean completesOnIoThread() {
    return false;
  }

  /**
   * A sharded subscription holds a connection of its own, never one of the client's pools: a
   * SUNSUBSCRIBE written (by reconnect or close) after the subscription has handed a pooled
   * connection back would leave its reply for the next borrower, whose reply then crosses.
   */
  @org.junit.jupiter.api.Test
  void aSubscriptionHoldsNoPooledConnection() throws Exception {
    @SuppressWarnings("deprecation")
    java.util.Map<String, redis.clients.jedis.ConnectionPool> pools =
        ((RedisClusterClient) client).getClusterNodes();
    byte[] channel = ("sb-test:pooled:" + java.util.UUID.randomUUID()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.util.concurrent.atomic.AtomicInteger subscribed = new java.util.concurrent.atomic.AtomicInteger();
    try (RedisBackend.Subscription s = backend.subscribe(channel, new RedisBackend.SubscriptionListener() {
      @Override
      public void onSubscribed() {
        subscribed.incrementAndGet();
      }

      @Override
      public void onMessage(byte[] message) {}

      @Override
      public void onLost(String reason) {}
    })) {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> subscribed.get() == 1);
      int active = pools.values().stream().mapToInt(redis.clients.jedis.ConnectionPool::getNumActive).sum();
      assertThat(active).as("pooled connections out while subscribed").isZero();
      s.reconnect();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> subscribed.get() == 2);
      active = pools.values().stream().mapToInt(redis.clients.jedis.ConnectionPool::getNumActive).sum();
      assertThat(active).as("pooled connections out after a reconnect").isZero();
    }
  }
}
