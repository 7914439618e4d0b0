package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.ThrowawayClusters;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The cache routes Cluster calls itself (to keep them under the L2 deadline), so it must follow the
 * cluster when slots move: a key resharded to another node after the cache read the slot map is
 * still read, written and invalidated there, without a miss.
 */
class ClusterRoutingIT {

  @Test
  void aKeyMovedToAnotherNodeIsStillReadWrittenAndInvalidatedThere() {
    try (ThrowawayRedis a = ThrowawayRedis.start("--cluster-enabled", "yes");
        ThrowawayRedis b = ThrowawayRedis.start("--cluster-enabled", "yes")) {
      ThrowawayClusters.form(List.of(a, b)); // a: slots 0-8191, b: 8192-16383
      String prefix = "reshard-" + UUID.randomUUID() + ":";
      try (RedisClusterClient client = ThrowawayClusters.client(List.of(a, b), RedisClients.config());
          TieredCache<String, String> writer = cache(client, prefix);
          TieredCache<String, String> reader = cache(client, prefix)) {
        String key = keyOnSlotBelow(prefix, 8_192);
        String other = keyOnSlotAtOrAbove(prefix, 8_192);
        writer.put(key, "v1");
        writer.put(other, "w1");
        AtomicInteger loads = new AtomicInteger();
        // the reader reads the slot map now, before the move
        assertThat(reader.get(other, k -> "loaded-" + loads.incrementAndGet())).isEqualTo("w1");

        int slot = JedisClusterCRC16.getSlot(redisKey(prefix, key));
        ThrowawayClusters.moveSlot(a, b, slot);

        assertThat(reader.get(key, k -> "loaded-" + loads.incrementAndGet())).as("read after the move").isEqualTo("v1");
        assertThat(reader.getAll(List.of(key, other), ks -> Map.of())).containsExactlyInAnyOrderEntriesOf(
            Map.of(key, "v1", other, "w1"));
        assertThat(loads).as("loads: every read was an L2 hit").hasValue(0);

        writer.put(key, "v2");
        assertThat(new String(client.get(redisKey(prefix, key).getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8))
            .as("the write landed on the key's new node").contains("v2");
        writer.invalidate(key); // a tombstone over the value, on the new node
        byte[] left = client.get(redisKey(prefix, key).getBytes(StandardCharsets.UTF_8));
        assertThat(left == null ? "" : new String(left, StandardCharsets.UTF_8)).as("invalidated on the new node")
            .doesNotContain("v2");
        assertThat(reader.get(key, k -> "loaded-after-invalidate")).isEqualTo("loaded-after-invalidate");
      }
    }
  }

  private static TieredCache<String, String> cache(RedisClusterClient client, String prefix) {
    return TieredCache.builder()
        .name("reshard-" + UUID.randomUUID())
        .keyCodec(Codec.utf8())
        .valueCodec(Codec.utf8())
        .redis(client)
        .keyPrefix(prefix)
        .invalidation(false)
        .l1Ttl(Duration.ofMillis(1))
        .l2Timeout(Duration.ofMillis(500))
        .build();
  }

  /** The Redis key the cache stores {@code key} under. */
  private static String redisKey(String prefix, String key) {
    return prefix + key;
  }

  private static String keyOnSlotBelow(String prefix, int bound) {
    for (int i = 0; ; i++) {
      String k = "k" + i;
      if (JedisClusterCRC16.getSlot(redisKey(prefix, k)) < bound) {
        return k;
      }
    }
  }

  private static String keyOnSlotAtOrAbove(String prefix, int bound) {
    for (int i = 0; ; i++) {
      String k = "k" + i;
      if (JedisClusterCRC16.getSlot(redisKey(prefix, k)) >= bound) {
        return k;
      }
    }
  }
}
