package dev.scaleblocks.ratelimit;

/**
 * The contract on the real standalone Redis through Jedis with {@link
 * RateLimiterBuilder#coalesceRedisCalls()}: decisions queued on the node's flusher and written in
 * batches on its own connection.
 */
class CoalescingRedisRateLimiterIT extends RedisRateLimiterIT {

  @Override
  protected RateLimiterBuilder redisStore(RateLimiterBuilder builder) {
    return builder.redis(client()).coalesceRedisCalls();
  }
}
