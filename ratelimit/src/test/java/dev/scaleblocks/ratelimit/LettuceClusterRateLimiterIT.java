package dev.scaleblocks.ratelimit;

import io.lettuce.core.cluster.RedisClusterClient;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract on the real 3-master Redis Cluster through Lettuce. */
class LettuceClusterRateLimiterIT extends RedisRateLimiterIT {

  private static RedisClusterClient lettuce;

  @BeforeAll
  static void connectLettuce() {
    lettuce = RedisClients.lettuceCluster();
  }

  @AfterAll
  static void closeLettuce() {
    lettuce.shutdown(0, 2, TimeUnit.SECONDS);
  }

  @Override
  protected RateLimiterBuilder redisStore(RateLimiterBuilder builder) {
    return builder.lettuce(lettuce);
  }
}
