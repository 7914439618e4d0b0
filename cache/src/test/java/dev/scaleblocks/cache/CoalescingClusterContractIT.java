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

/** The contract on L1 + the 3-master Redis Cluster through Jedis with the L2 calls coalesced per node. */
class CoalescingClusterContractIT extends TieredCacheContract {

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
    return builder.redis(client).coalesceRedisCalls();
  }

  @Test
  void getAllSpansSlotsOnEveryMaster() {
    String name = "coalesced-cluster-" + UUID.randomUUID();
    TieredCache<String, String> a = track(withL2(builder(name)).build());
    TieredCache<String, String> b = track(withL2(builder(name)).build());
    Map<String, String> values = new HashMap<>();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      keys.add("k" + i);
      values.put("k" + i, "v" + i);
    }
    a.putAll(values);
    Map<String, String> read = b.getAll(keys, missing -> {
      throw new AssertionError("loaded " + missing + " although every key is in L2");
    });
    assertThat(read).isEqualTo(values);
  }
}
