package dev.scaleblocks.core.internal.redis;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.providers.PooledConnectionProvider;

/** What the coalescing backend refuses before any connection is made. */
class CoalescingJedisBackendTest {

  @Test
  @SuppressWarnings("deprecation") // the one public UnifiedJedis constructor left
  void refusesAClientWhoseNodeConnectionsItCannotMakeAndABadCapacity() {
    // a UnifiedJedis over a provider of its own, as a Sentinel client is: no factory to use
    try (UnifiedJedis plain = new UnifiedJedis(
        new PooledConnectionProvider(new HostAndPort("127.0.0.1", 1)), 1, Duration.ofSeconds(1))) {
      assertThatThrownBy(() -> CoalescingJedisBackend.of(plain, 16))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("coalescing needs a Jedis RedisClient or RedisClusterClient but the client "
              + "was a redis.clients.jedis.UnifiedJedis");
    }
    try (UnifiedJedis client = RedisClient.create("127.0.0.1", 1)) {
      assertThatThrownBy(() -> CoalescingJedisBackend.of(client, 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("queueCapacity must be positive but was 0");
    }
    assertThatThrownBy(() -> CoalescingJedisBackend.of(null, 16))
        .isInstanceOf(NullPointerException.class).hasMessage("jedis must not be null");
  }
}
