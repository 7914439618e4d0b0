package dev.scaleblocks.ratelimit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.UnifiedJedis;

/** The contract on the real 3-master Redis Cluster. */
class RedisClusterRateLimiterIT extends RedisRateLimiterIT {

  private static UnifiedJedis cluster;

  @BeforeAll
  static void connectCluster() {
    cluster = RedisClients.cluster();
  }

  @AfterAll
  static void closeCluster() {
    cluster.close();
  }

  @Override
  protected UnifiedJedis client() {
    return cluster;
  }
}
