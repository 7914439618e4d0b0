package dev.scaleblocks.cache;

import dev.scaleblocks.core.testing.TestServices;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;

/** Redis clients for the tests, with the short timeouts the docs recommend. */
final class RedisClients {

  private RedisClients() {}

  static JedisClientConfig config() {
    return DefaultJedisClientConfig.builder().socketTimeoutMillis(300).connectionTimeoutMillis(300).build();
  }

  static RedisClient standalone() {
    InetSocketAddress a = TestServices.redis();
    return standalone(a.getHostString(), a.getPort());
  }

  static RedisClient standalone(String host, int port) {
    return RedisClient.builder().hostAndPort(host, port).clientConfig(config()).build();
  }

  static RedisClusterClient cluster() {
    Set<HostAndPort> nodes = new HashSet<>();
    for (InetSocketAddress a : TestServices.redisCluster()) {
      nodes.add(new HostAndPort(a.getHostString(), a.getPort()));
    }
    return RedisClusterClient.builder().nodes(nodes).clientConfig(config()).build();
  }
}
