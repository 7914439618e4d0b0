package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.core.testing.ThrowawayRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/**
 * Counts the commands a private Redis receives (INFO commandstats): an L2 hit is one GET, a
 * cold-L1 {@code getAll} of 100 keys is one MGET, an L2 miss is one GET then one EVALSHA.
 */
class RoundTripIT {

  private static final Set<String> DATA_COMMANDS =
      Set.of("get", "mget", "pttl", "set", "evalsha", "eval", "del", "publish", "exists", "script|load");

  @Test
  void everyPathMakesTheRoundTripsItPromises() {
    try (ThrowawayRedis redis = ThrowawayRedis.start();
        RedisClient client = RedisClients.standalone(redis.host(), redis.port());
        RedisClient admin = RedisClients.standalone(redis.host(), redis.port());
        TieredCache<String, String> cache = TieredCache.builder()
            .name("roundtrips")
            .keyCodec(Codec.utf8())
            .valueCodec(Codec.utf8())
            .redis(client)
            .invalidation(false)
            .l1Ttl(Duration.ofNanos(1)) // every L1 entry expires at once
            .build()) {
      List<String> keys = new ArrayList<>();
      Map<String, String> values = new HashMap<>();
      for (int i = 0; i < 100; i++) {
        keys.add("k" + i);
        values.put("k" + i, "v" + i);
      }
      cache.putAll(values);

      Map<String, Long> before = stats(admin);
      for (int i = 0; i < 10; i++) {
        assertThat(cache.get("k" + i, k -> "loaded")).isEqualTo("v" + i);
      }
      // GET and PTTL pipelined: one round trip per read
      assertThat(delta(before, stats(admin))).containsOnly(Map.entry("get", 10L), Map.entry("pttl", 10L));

      before = stats(admin);
      assertThat(cache.getAll(keys, missing -> Map.of())).isEqualTo(values);
      // one MGET and the 100 PTTLs in one pipeline: one round trip
      assertThat(delta(before, stats(admin))).containsOnly(Map.entry("mget", 1L), Map.entry("pttl", 100L));

      cache.get("warm-up-the-script", k -> "x");
      before = stats(admin);
      assertThat(cache.get("absent", k -> "loaded")).isEqualTo("loaded");
      // two round trips: GET with PTTL, then EVALSHA of the version-checked write (commandstats also
      // counts the GET and SET the script runs inside Redis)
      assertThat(delta(before, stats(admin)))
          .containsOnly(Map.entry("get", 2L), Map.entry("pttl", 1L), Map.entry("evalsha", 1L), Map.entry("set", 1L));
    }
  }

  private static Map<String, Long> stats(RedisClient admin) {
    Map<String, Long> calls = new HashMap<>();
    for (String line : admin.info("commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_")) {
        String command = line.substring("cmdstat_".length(), line.indexOf(':'));
        String rest = line.substring(line.indexOf("calls=") + 6);
        calls.put(command, Long.parseLong(rest.substring(0, rest.indexOf(','))));
      }
    }
    return calls;
  }

  private static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> d = new HashMap<>();
    for (Map.Entry<String, Long> e : after.entrySet()) {
      long n = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      if (n > 0 && DATA_COMMANDS.contains(e.getKey())) {
        d.put(e.getKey(), n);
      }
    }
    return d;
  }
}
