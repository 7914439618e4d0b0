package dev.scaleblocks.cache;

import io.lettuce.core.cluster.RedisClusterClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract on L1 + the 3-master Redis Cluster through Lettuce. */
class LettuceClusterContractIT extends RedisClusterContractIT {

  private static RedisClusterClient lettuce;

  @BeforeAll
  static void connectLettuce() {
    lettuce = LettuceClients.cluster();
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
