package dev.scaleblocks.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.testing.TestServices;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;

/** Hash slots against {@code CLUSTER KEYSLOT} of the real Redis Cluster. */
class HashSlotsIT {

  @Test
  void sameSlotAsClusterKeyslotForTenThousandKeys() {
    InetSocketAddress node = TestServices.redisCluster().get(0);
    SplittableRandom random = new SplittableRandom(16384);
    List<String> keys = new ArrayList<>();
    keys.add("");
    keys.add("{}");
    keys.add("{}{a}");
    keys.add("a{}b{c}");
    keys.add("{{x}}");
    keys.add("}{x}");
    while (keys.size() < 10_000) {
      StringBuilder sb = new StringBuilder();
      for (int c = random.nextInt(40); c > 0; c--) {
        int pick = random.nextInt(16);
        sb.append(
            pick == 0 ? '{'
                : pick == 1 ? '}'
                : pick == 2 ? (char) (0xA0 + random.nextInt(0x700))
                : (char) ('0' + random.nextInt(75)));
      }
      keys.add(sb.toString());
    }
    try (Jedis jedis = new Jedis(node.getHostString(), node.getPort())) {
      Pipeline pipeline = jedis.pipelined();
      List<Response<Object>> answers = new ArrayList<>();
      for (String key : keys) {
        answers.add(pipeline.sendCommand(Protocol.Command.CLUSTER, "KEYSLOT", key));
      }
      pipeline.sync();
      ShardRouter<Integer> router =
          ShardRouter.<Integer>hashSlots()
              .shard("a", 0).shard("b", 1).shard("c", 2)
              .slots("a", 0, 5460).slots("b", 5461, 10922).slots("c", 10923, 16383)
              .build();
      for (int i = 0; i < keys.size(); i++) {
        long expected = (Long) answers.get(i).get();
        String key = keys.get(i);
        assertThat(ShardHashes.redisSlot(key)).as("slot of '%s'", key).isEqualTo(expected);
        int owner = expected <= 5460 ? 0 : expected <= 10922 ? 1 : 2;
        assertThat(router.route(key)).isEqualTo(owner);
      }
    }
  }
}
