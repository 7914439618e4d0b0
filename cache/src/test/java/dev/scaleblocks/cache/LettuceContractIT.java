package dev.scaleblocks.cache;

import io.lettuce.core.RedisClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract on L1 + standalone Redis through Lettuce (the same tests as over Jedis). */
class LettuceContractIT extends RedisContractIT {

  private static RedisClient lettuce;

  @BeforeAll
  static void connectLettuce() {
    lettuce = LettuceClients.standalone();
  }

  @AfterAll
  static void disconnectLettuce() {
    LettuceClients.shutdown(lettuce);
  }

  @Override
  protected <K, V> TieredCacheBuilder<K, V> withL2(TieredCacheBuilder<K, V> builder) {
    return builder.lettuce(lettuce);
  }
}
