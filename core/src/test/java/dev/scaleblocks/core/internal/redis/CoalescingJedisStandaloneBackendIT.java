package dev.scaleblocks.core.internal.redis;

import dev.scaleblocks.core.testing.TestServices;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/** The backend contract over coalescing Jedis on the shared standalone Redis. */
class CoalescingJedisStandaloneBackendIT extends JedisBackendContract {

  private static UnifiedJedis client;
  private static RedisBackend backend;

  @BeforeAll
  static void connect() {
    InetSocketAddress redis = TestServices.redis();
    client = RedisClient.create(redis.getHostString(), redis.getPort());
    backend = CoalescingJedisBackend.of(client, CoalescingJedisBackend.DEFAULT_QUEUE_CAPACITY);
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
