/**
 * scaleblocks-ratelimit: local and Redis-backed rate limiters, leasing, key resolution and the
 * servlet and Netty adapters with the standard headers.
 *
 * <p>Exports its API packages only; the servlet API and Netty are optional (only the {@code
 * servlet} and {@code netty} adapter packages touch them), and so is Lettuce (only {@code
 * RateLimiterBuilder.lettuce(...)} names it; core's Lettuce backend is loaded only then).
 */
module dev.scaleblocks.ratelimit {
  exports dev.scaleblocks.ratelimit;
  exports dev.scaleblocks.ratelimit.concurrency;
  exports dev.scaleblocks.ratelimit.http;
  exports dev.scaleblocks.ratelimit.netty;
  exports dev.scaleblocks.ratelimit.servlet;
  exports dev.scaleblocks.ratelimit.throttle;

  // core's RedisScript.fromResource reads ratelimit.lua, which lives in this package
  opens dev.scaleblocks.ratelimit to dev.scaleblocks.core;

  requires transitive dev.scaleblocks.core;
  requires com.github.benmanes.caffeine;
  requires transitive redis.clients.jedis; // RateLimiterBuilder.redis(UnifiedJedis)
  // RateLimiterBuilder.lettuce(...): optional, loaded only when a Lettuce client is passed
  requires static lettuce.core;
  requires org.slf4j;

  // optional, not transitive: JSpecify annotations; the servlet API and Netty for the adapters
  requires static org.jspecify;
  requires static jakarta.servlet;
  requires static io.netty.codec.http;
  requires static io.netty.transport;
  requires static io.netty.buffer;
  requires static io.netty.common;
}
