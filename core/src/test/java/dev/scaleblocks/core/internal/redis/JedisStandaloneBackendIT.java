package dev.scaleblocks.core.internal.redis;

import dev.scaleblocks.core.testing.TestServices;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/** The backend contract over Jedis on the shared standalone Redis. */
class JedisStandaloneBackendIT extends JedisBackendContract {

  private static UnifiedJedis client;
  private static RedisBackend backend;

  @BeforeAll
  static void connect() {
    InetSocketAddress redis = TestServices.redis();
    client = RedisClient.create(redis.getHostString(), redis.getPort());
    backend = RedisBackends.of(client);
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
}
