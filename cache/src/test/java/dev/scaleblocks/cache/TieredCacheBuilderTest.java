package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.codec.Codec;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** Bad options fail at once, naming the option and the bad value. */
class TieredCacheBuilderTest {

  @Test
  void rejectsBadOptions() {
    assertThatThrownBy(() -> TieredCache.builder().name(""))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("name must not be empty");
    assertThatThrownBy(() -> TieredCache.builder().name(null))
        .isInstanceOf(NullPointerException.class).hasMessage("name must not be null");
    assertThatThrownBy(() -> TieredCache.builder().l1Ttl(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("l1Ttl must be positive but was PT-1S");
    assertThatThrownBy(() -> TieredCache.builder().l2Ttl(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("l2Ttl must be positive but was PT0S");
    assertThatThrownBy(() -> TieredCache.builder().negativeTtl(Duration.ofMillis(-5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("negativeTtl must not be negative but was PT-0.005S");
    assertThatThrownBy(() -> TieredCache.builder().staleIfError(Duration.ofMillis(-5)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TieredCache.builder().ttlJitter(0.9))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("ttlJitter must be in [0.0, 0.5] but was 0.9");
    assertThatThrownBy(() -> TieredCache.builder().refreshAhead(1.0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("refreshAhead must be in (0, 1) but was 1.0");
    assertThatThrownBy(() -> TieredCache.builder().maximumSize(-3))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maximumSize must not be negative but was -3");
    assertThatThrownBy(() -> TieredCache.builder().maxValueBytes(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxValueBytes must be positive but was 0");
    assertThatThrownBy(() -> TieredCache.builder().maximumSize(10).maximumWeight(10))
        .isInstanceOf(IllegalStateException.class).hasMessage("maximumSize was already set to 10");
    assertThatThrownBy(() -> TieredCache.builder().clusterLease(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("leaseTime must be positive but was PT0S");
  }

  @Test
  void buildChecksWhatBelongsTogether() {
    assertThatThrownBy(() -> TieredCache.builder().build())
        .isInstanceOf(IllegalStateException.class).hasMessage("name must be set");
    assertThatThrownBy(() -> TieredCache.builder().name("c").maximumWeight(10).build())
        .isInstanceOf(IllegalStateException.class).hasMessage("weigher must be set with maximumWeight");
    try (RedisClient client = RedisClient.create("127.0.0.1", 1)) {
      assertThatThrownBy(() -> TieredCache.builder().name("c").redis(client).valueCodec(Codec.utf8()).build())
          .isInstanceOf(IllegalStateException.class).hasMessage("keyCodec must be set when redis is set");
      assertThatThrownBy(() -> TieredCache.builder().name("c").redis(client).keyCodec(Codec.utf8()).build())
          .isInstanceOf(IllegalStateException.class).hasMessage("valueCodec must be set when redis is set");
    }
  }
}
