package dev.scaleblocks.core.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * The backend contract over coalescing Jedis on the shared 3-master Cluster (throw-away servers,
 * standalone, through a Jedis standalone client).
 */
class CoalescingJedisClusterBackendIT extends RedisBackendContract {

  private static UnifiedJedis client;
  private static RedisBackend backend;
  private final List<UnifiedJedis> throwaway = new ArrayList<>();

  @BeforeAll
  static void connect() {
    Set<HostAndPort> seeds = new HashSet<>();
    for (InetSocketAddress node : TestServices.redisCluster()) {
      seeds.add(new HostAndPort(node.getHostString(), node.getPort()));
    }
    client = RedisClusterClient.create(seeds);
    backend = RedisBackends.coalescing(client);
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
  protected RedisBackend onThrowaway(ThrowawayRedis server, Duration timeout) {
    UnifiedJedis c = RedisClient.builder().hostAndPort(server.host(), server.port())
        .clientConfig(DefaultJedisClientConfig.builder()
            .socketTimeoutMillis((int) timeout.toMillis())
            .connectionTimeoutMillis((int) timeout.toMillis())
            .build())
        .build();
    throwaway.add(c);
    return RedisBackends.coalescing(c);
  }

  @Override
  protected void closeThrowawayClients() {
    throwaway.forEach(UnifiedJedis::close);
    throwaway.clear();
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
