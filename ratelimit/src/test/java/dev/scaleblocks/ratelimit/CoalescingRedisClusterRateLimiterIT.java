package dev.scaleblocks.ratelimit;

/**
 * The contract on the real 3-master Redis Cluster through Jedis with {@link
 * RateLimiterBuilder#coalesceRedisCalls()}: one flusher and one connection per master.
 */
class CoalescingRedisClusterRateLimiterIT extends RedisClusterRateLimiterIT {

  @Override
  protected RateLimiterBuilder redisStore(RateLimiterBuilder builder) {
    return builder.redis(client()).coalesceRedisCalls();
  }
}
