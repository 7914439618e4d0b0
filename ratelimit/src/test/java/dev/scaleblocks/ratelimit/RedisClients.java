package dev.scaleblocks.ratelimit;

import dev.scaleblocks.core.testing.TestServices;
import io.lettuce.core.RedisURI;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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

  static io.lettuce.core.RedisClient lettuceStandalone() {
    InetSocketAddress redis = TestServices.redis();
    return io.lettuce.core.RedisClient.create(RedisURI.create(redis.getHostString(), redis.getPort()));
  }

  static io.lettuce.core.cluster.RedisClusterClient lettuceCluster() {
    List<RedisURI> seeds = new ArrayList<>();
    for (InetSocketAddress node : TestServices.redisCluster()) {
      seeds.add(RedisURI.create(node.getHostString(), node.getPort()));
    }
    return io.lettuce.core.cluster.RedisClusterClient.create(seeds);
  }

  /** Which client library a Redis test runs over. */
  enum Kind {
    JEDIS, LETTUCE,
    /** Jedis with {@link RateLimiterBuilder#coalesceRedisCalls()}. */
    COALESCING_JEDIS;

    /** A fresh client of this kind on {@code topology} ("standalone" or "cluster"). */
    Client open(String topology) {
      boolean cluster = topology.equals("cluster");
      if (this == JEDIS) {
        UnifiedJedis jedis = cluster ? cluster() : standalone();
        return new Client(b -> b.redis(jedis), jedis::close);
      }
      if (this == COALESCING_JEDIS) {
        UnifiedJedis jedis = cluster ? cluster() : standalone();
        return new Client(b -> b.redis(jedis).coalesceRedisCalls(), jedis::close);
      }
      if (cluster) {
        io.lettuce.core.cluster.RedisClusterClient c = lettuceCluster();
        return new Client(b -> b.lettuce(c), () -> c.shutdown(0, 2, TimeUnit.SECONDS));
      }
      io.lettuce.core.RedisClient c = lettuceStandalone();
      return new Client(b -> b.lettuce(c), () -> c.shutdown(0, 2, TimeUnit.SECONDS));
    }
  }

  /** A client, as a builder's store, and how to close it. */
  record Client(Function<RateLimiterBuilder, RateLimiterBuilder> store, Runnable closer)
      implements AutoCloseable {
    RateLimiterBuilder on(RateLimiterBuilder builder) {
      return store.apply(builder);
    }

    @Override
    public void close() {
      closer.run();
    }
  }
}
