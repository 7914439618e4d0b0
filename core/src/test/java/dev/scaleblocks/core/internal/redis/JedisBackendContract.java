package dev.scaleblocks.core.internal.redis;

import dev.scaleblocks.core.testing.ThrowawayRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * The backend contract over a Jedis client: throw-away servers are reached through a standalone
 * Jedis {@code RedisClient} with the test's timeout, made into a backend the way the subclass makes
 * its shared one ({@link #over}).
 */
abstract class JedisBackendContract extends RedisBackendContract {

  private final List<UnifiedJedis> throwaway = new ArrayList<>();

  /** The backend under test over {@code client} (plain or coalescing). */
  protected abstract RedisBackend over(UnifiedJedis client);

  @Override
  protected RedisBackend onThrowaway(ThrowawayRedis server, Duration timeout) {
    UnifiedJedis c = RedisClient.builder().hostAndPort(server.host(), server.port())
        .clientConfig(DefaultJedisClientConfig.builder()
            .socketTimeoutMillis((int) timeout.toMillis())
            .connectionTimeoutMillis((int) timeout.toMillis())
            .build())
        .build();
    throwaway.add(c);
    return over(c);
  }

  @Override
  protected void closeThrowawayClients() {
    throwaway.forEach(UnifiedJedis::close);
    throwaway.clear();
  }
}
