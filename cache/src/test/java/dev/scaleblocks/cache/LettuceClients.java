package dev.scaleblocks.cache;

import dev.scaleblocks.core.testing.TestServices;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Lettuce clients for the tests, with a command timeout above the caches' L2 timeouts. */
final class LettuceClients {

  private LettuceClients() {}

  static RedisClient standalone() {
    InetSocketAddress a = TestServices.redis();
    return standalone(a.getHostString(), a.getPort());
  }

  static RedisClient standalone(String host, int port) {
    return RedisClient.create(RedisURI.builder().withHost(host).withPort(port)
        .withTimeout(Duration.ofSeconds(2)).build());
  }

  static RedisClusterClient cluster() {
    List<RedisURI> seeds = new ArrayList<>();
    for (InetSocketAddress a : TestServices.redisCluster()) {
      seeds.add(RedisURI.builder().withHost(a.getHostString()).withPort(a.getPort())
          .withTimeout(Duration.ofSeconds(2)).build());
    }
    return RedisClusterClient.create(seeds);
  }

  static void shutdown(io.lettuce.core.AbstractRedisClient client) {
    client.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
