package dev.scaleblocks.cache;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * A Redis client of one library (Jedis or Lettuce) that a test gives its caches, so that one test
 * body runs over both; closing it closes the client.
 */
interface TestL2 extends AutoCloseable {

  /** Gives {@code builder} this client. */
  <K, V> TieredCacheBuilder<K, V> attach(TieredCacheBuilder<K, V> builder);

  @Override
  void close();

  static TestL2 jedis(UnifiedJedis client) {
    return new TestL2() {
      @Override
      public <K, V> TieredCacheBuilder<K, V> attach(TieredCacheBuilder<K, V> builder) {
        return builder.redis(client);
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }

  static TestL2 lettuce(AbstractRedisClient client) {
    return new TestL2() {
      @Override
      public <K, V> TieredCacheBuilder<K, V> attach(TieredCacheBuilder<K, V> builder) {
        return client instanceof RedisClusterClient c ? builder.lettuce(c) : builder.lettuce((RedisClient) client);
      }

      @Override
      public void close() {
        LettuceClients.shutdown(client);
      }
    };
  }

  /** Jedis on the shared standalone Redis. */
  static TestL2 jedisStandalone() {
    return jedis(RedisClients.standalone());
  }

  static TestL2 jedisCluster() {
    return jedis(RedisClients.cluster());
  }

  static TestL2 lettuceStandalone() {
    return lettuce(LettuceClients.standalone());
  }

  static TestL2 lettuceCluster() {
    return lettuce(LettuceClients.cluster());
  }

  /** On a server of the test's own. */
  static TestL2 on(String client, String host, int port) {
    return client.equals("lettuce")
        ? lettuce(LettuceClients.standalone(host, port))
        : jedis(RedisClients.standalone(host, port));
  }
}
