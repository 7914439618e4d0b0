package dev.scaleblocks.spring.boot.autoconfigure;

import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.UnifiedJedis;

/**
 * The Redis client the application already has, for the blocks that keep state in Redis: a
 * {@code UnifiedJedis} bean of the application's, else the Lettuce client inside Spring Data Redis'
 * {@code LettuceConnectionFactory}. Never a client of its own: when neither exists, a block that
 * needs Redis fails at startup and says so.
 *
 * <p>Thread-safe.
 */
public final class RedisClientSource {

  private final Supplier<@Nullable UnifiedJedis> jedis;
  private final Supplier<@Nullable Object> lettuce;

  /**
   * @param jedis the application's {@code UnifiedJedis}, or null
   * @param lettuce the application's Lettuce {@code RedisClient} or {@code RedisClusterClient}, or null
   */
  public RedisClientSource(Supplier<@Nullable UnifiedJedis> jedis, Supplier<@Nullable Object> lettuce) {
    this.jedis = jedis;
    this.lettuce = lettuce;
  }

  /** The application's {@code UnifiedJedis}, or null. */
  public @Nullable UnifiedJedis jedis() {
    return jedis.get();
  }

  /**
   * The application's Lettuce client ({@code io.lettuce.core.RedisClient} or {@code
   * io.lettuce.core.cluster.RedisClusterClient}), or null. Typed {@code Object} so that this class
   * loads without Lettuce.
   */
  public @Nullable Object lettuce() {
    return lettuce.get();
  }
}
