package dev.scaleblocks.core.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.testing.TestServices;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * The backend contract over coalescing Jedis on the shared 3-master Cluster (throw-away servers,
 * standalone, through a Jedis standalone client).
 */
class CoalescingJedisClusterBackendIT extends JedisBackendContract {

  private static UnifiedJedis client;
  private static RedisBackend backend;

  @BeforeAll
  static void connect() {
    Set<HostAndPort> seeds = new HashSet<>();
    for (InetSocketAddress node : TestServices.redisCluster()) {
      seeds.add(new HostAndPort(node.getHostString(), node.getPort()));
    }
    client = RedisClusterClient.create(seeds);
    backend = CoalescingJedisBackend.of(client, CoalescingJedisBackend.DEFAULT_QUEUE_CAPACITY);
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
    return CoalescingJedisBackend.of(c, CoalescingJedisBackend.DEFAULT_QUEUE_CAPACITY);
  }

  @Override
  protected boolean completesOnIoThread() {
    return true;
  }

  @Override
  protected String ioThreadPrefix() {
    return "scaleblocks-redis-flusher-";
  }
}
