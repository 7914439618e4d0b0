package dev.scaleblocks.cache;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.TestServices;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * An L2 read writes GET and PTTL (or MGET and the PTTLs) together and reads every reply before it
 * looks at any: an error reply to one of them (a key holding a list answers GET with WRONGTYPE)
 * fails that read alone, and the connection stays in step, so the next reads on it see their own
 * replies. The standalone Jedis client has a pool of one connection, so every read shares it.
 */
class L2ReadRepliesIT {

  private static final Function<String, String> NO_LOAD = k -> {
    throw new AssertionError("loaded " + k + ": the value is in Redis");
  };

  static Stream<Arguments> clients() {
    return Stream.of(
        Arguments.of("jedis standalone, one pooled connection", false, (Supplier<TestL2>) () -> {
          InetSocketAddress a = TestServices.redis();
          ConnectionPoolConfig one = new ConnectionPoolConfig();
          one.setMaxTotal(1);
          one.setMaxIdle(1);
          return TestL2.jedis(RedisClient.builder().hostAndPort(a.getHostString(), a.getPort())
              .clientConfig(RedisClients.config()).poolConfig(one).build());
        }),
        Arguments.of("jedis cluster", true, (Supplier<TestL2>) TestL2::jedisCluster),
        Arguments.of("lettuce standalone", false, (Supplier<TestL2>) TestL2::lettuceStandalone),
        Arguments.of("lettuce cluster", true, (Supplier<TestL2>) TestL2::lettuceCluster));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clients")
  void anErrorReplyFailsOnlyItsOwnReadAndLaterReadsSeeTheirOwnReplies(String label, boolean cluster,
      Supplier<TestL2> l2) {
    String name = "replies-" + UUID.randomUUID();
    String tag = "{" + name + "}";
    try (TestL2 client = l2.get();
        TieredCache<String, String> cache = client.attach(TieredCache.builder()
                .name(name)
                .keyPrefix(tag + ":")
                .maximumSize(0) // every read goes to Redis
                .keyCodec(Codec.utf8())
                .valueCodec(Codec.utf8())
                .invalidation(false))
            .<String, String>build();
        UnifiedJedis raw = cluster ? RedisClients.cluster() : RedisClients.standalone()) {
      cache.put("good1", "v1");
      cache.put("good2", "v2");
      raw.lpush((tag + ":bad").getBytes(UTF_8), "not a string".getBytes(UTF_8));
      try {
        for (int round = 0; round < 3; round++) {
          // GET answers WRONGTYPE, PTTL answers -1: the read fails (the loader serves), nothing is left unread
          assertThat(cache.get("bad", k -> "loaded")).as(label).isEqualTo("loaded");
          assertThat(cache.get("good1", NO_LOAD)).as(label).isEqualTo("v1");
          assertThat(cache.get("good2", NO_LOAD)).as(label).isEqualTo("v2");
          // standalone: MGET answers nil for the list, so only "bad" loads; Cluster: GET per key,
          // and its WRONGTYPE fails the batch's read, so all three load (and none is written to L2)
          Map<String, String> all = cache.getAll(List.of("good1", "bad", "good2"), keys -> {
            assertThat(keys).contains("bad");
            if (!cluster) {
              assertThat(keys).containsExactly("bad");
            }
            Map<String, String> loaded = new java.util.HashMap<>();
            for (String k : keys) {
              loaded.put(k, k.equals("bad") ? "loaded" : "v" + k.charAt(4));
            }
            return loaded;
          });
          assertThat(all).as(label).containsEntry("good1", "v1").containsEntry("good2", "v2")
              .containsEntry("bad", "loaded");
          assertThat(cache.get("good2", NO_LOAD)).as(label).isEqualTo("v2");
        }
      } finally {
        raw.del((tag + ":bad").getBytes(UTF_8));
        cache.invalidateAll();
      }
    }
  }
}
