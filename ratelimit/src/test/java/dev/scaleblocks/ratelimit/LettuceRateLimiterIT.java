package dev.scaleblocks.ratelimit;

import io.lettuce.core.RedisClient;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract on the real standalone Redis through Lettuce (decisions on the non-blocking path). */
class LettuceRateLimiterIT extends RedisRateLimiterIT {

  private static RedisClient lettuce;

  @BeforeAll
  static void connectLettuce() {
    lettuce = RedisClients.lettuceStandalone();
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
