package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClusterClient;

/** The contract on L1 + the 3-master Redis Cluster. */
class RedisClusterContractIT extends TieredCacheContract {

  private static RedisClusterClient client;

  @BeforeAll
  static void connect() {
    client = RedisClients.cluster();
  }

  @AfterAll
  static void disconnect() {
    client.close();
  }

  @Override
  protected <K, V> TieredCacheBuilder<K, V> withL2(TieredCacheBuilder<K, V> builder) {
    return builder.redis(client);
  }

  @Test
  void getAllSpansSlotsOnEveryMaster() {
    String name = "cluster-" + UUID.randomUUID();
    TieredCache<String, String> a = track(withL2(builder(name)).build());
    Map<String, String> values = new HashMap<>();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      keys.add("key-" + i);
      values.put("key-" + i, "value-" + i);
    }
    a.putAll(values);
    TieredCache<String, String> b = track(withL2(builder(name)).build());
    Map<String, String> read = b.getAll(keys, missing -> {
      throw new AssertionError("all keys are in L2 but these were loaded: " + missing);
    });
    assertThat(read).isEqualTo(values);
  }
}
