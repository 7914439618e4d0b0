package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.codec.Codec;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** The contract on L1 + standalone Redis, plus what only an L2 can show. */
class RedisContractIT extends TieredCacheContract {

  private static RedisClient client;

  @BeforeAll
  static void connect() {
    client = RedisClients.standalone();
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
  void aSecondInstanceReadsTheL2WithoutLoading() {
    String name = "shared-" + java.util.UUID.randomUUID();
    TieredCache<String, String> a = track(withL2(builder(name)).build());
    TieredCache<String, String> b = track(withL2(builder(name)).build());
    CacheEntry<String> written = a.getEntry("k", k -> "from-a");
    AtomicInteger loads = new AtomicInteger();
    CacheEntry<String> read = b.getEntry("k", k -> "from-b" + loads.incrementAndGet());
    assertThat(read.value()).isEqualTo("from-a");
    assertThat(read.version()).isEqualTo(written.version());
    assertThat(read.writeTime()).isEqualTo(written.writeTime());
    assertThat(loads).hasValue(0);
    Map<String, String> all = b.getAll(java.util.List.of("k", "other"), m -> Map.of("other", "o"));
    assertThat(all).containsEntry("k", "from-a").containsEntry("other", "o");
    assertThat(a.getIfPresent("other")).isEqualTo("o");
  }

  @Test
  void oversizedValuesAreRefusedAndNothingIsWritten() {
    TieredCache<String, String> cache = track(withL2(builder().maxValueBytes(8)).build());
    cache.put("k", "small");
    assertThatThrownBy(() -> cache.put("k", "much too large"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("value must be at most maxValueBytes 8 bytes encoded but was 14");
    assertThat(cache.getIfPresent("k")).isEqualTo("small");
    assertThat(cache.get("big", k -> "much too large")).isEqualTo("much too large");
    assertThat(cache.getIfPresent("big")).isNull();
  }

  @Test
  void aThrowingCodecFailsClearlyAndWritesNothing() {
    Codec<String> broken = new Codec<>() {
      @Override
      public byte[] encode(String value) {
        if (value.startsWith("bad")) {
          throw new IllegalStateException("cannot encode");
        }
        return value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      }

      @Override
      public String decode(byte[] bytes) {
        throw new IllegalStateException("cannot decode");
      }
    };
    String name = "codec-" + java.util.UUID.randomUUID();
    TieredCache<String, String> cache = track(withL2(builder(name, broken)).build());
    cache.put("k", "good");
    assertThatThrownBy(() -> cache.put("k", "bad value"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("valueCodec failed to encode the value of key k");
    assertThat(cache.getIfPresent("k")).isEqualTo("good");
    assertThatThrownBy(() -> cache.get("loaded", k -> "bad too"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(cache.getIfPresent("loaded")).isNull();
    // another instance cannot decode what is in Redis: a miss, then a load, never an exception
    TieredCache<String, String> other = track(withL2(builder(name, broken)).build());
    assertThat(other.get("k", k -> "reloaded")).isEqualTo("reloaded");
  }
}
