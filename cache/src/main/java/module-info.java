/**
 * scaleblocks-cache: the two-tier cache (Caffeine L1, Redis L2), cross-instance invalidation and
 * HTTP caching with servlet and Netty adapters.
 *
 * <p>Exports its API packages only; the servlet API and Netty are optional (only the {@code
 * servlet} and {@code netty} adapter packages touch them), and so is Lettuce (only {@code
 * TieredCacheBuilder.lettuce(...)} names it; core's Lettuce backend is loaded only then).
 */
module dev.scaleblocks.cache {
  exports dev.scaleblocks.cache;
  exports dev.scaleblocks.cache.http;
  exports dev.scaleblocks.cache.netty;
  exports dev.scaleblocks.cache.servlet;

  requires transitive dev.scaleblocks.core;
  requires com.github.benmanes.caffeine;
  requires transitive redis.clients.jedis; // TieredCacheBuilder.redis(UnifiedJedis)
  // TieredCacheBuilder.lettuce(...): optional, loaded only when a Lettuce client is passed
  requires static lettuce.core;
  requires org.apache.commons.pool2; // RedisTier bounds the wait of a RedisClient's pool
  requires org.slf4j;

  // optional, not transitive: JSpecify annotations; the servlet API and Netty for the adapters
  requires static org.jspecify;
  requires static jakarta.servlet;
  requires static io.netty.codec.http;
  requires static io.netty.transport;
  requires static io.netty.buffer;
  requires static io.netty.common;
}
