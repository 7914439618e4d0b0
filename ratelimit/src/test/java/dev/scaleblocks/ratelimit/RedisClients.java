package dev.scaleblocks.ratelimit;

import dev.scaleblocks.core.testing.TestServices;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;

/** Clients of the shared real Redis services, each a fresh, independent client stack. */
final class RedisClients {

  private RedisClients() {}

  static UnifiedJedis standalone() {
    InetSocketAddress redis = TestServices.redis();
    return RedisClient.create(redis.getHostString(), redis.getPort());
  }

  static UnifiedJedis cluster() {
    Set<HostAndPort> seeds = new HashSet<>();
    for (InetSocketAddress node : TestServices.redisCluster()) {
      seeds.add(new HostAndPort(node.getHostString(), node.getPort()));
    }
    return RedisClusterClient.create(seeds);
  }
}
