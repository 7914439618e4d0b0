/**
 * scaleblocks-core: time, argument checks, key hashing, codecs, the remote-store circuit breaker,
 * the Redis script runner and telemetry wiring shared by every scaleblocks module.
 *
 * <p>Exports its API packages. {@code dev.scaleblocks.core.internal} is exported only to the
 * scaleblocks modules. Jedis, Lettuce, the servlet API and Netty are optional: only the packages that
 * need them ({@code redis} and {@code internal.redis}, {@code servlet}, {@code netty}) touch
 * them, and within {@code internal.redis} Jedis and Lettuce each sit in classes loaded only when
 * their client is passed.
 */
module dev.scaleblocks.core {
  exports dev.scaleblocks.core;
  exports dev.scaleblocks.core.breaker;
  exports dev.scaleblocks.core.codec;
  exports dev.scaleblocks.core.hash;
  exports dev.scaleblocks.core.http;
  exports dev.scaleblocks.core.netty;
  exports dev.scaleblocks.core.redis;
  exports dev.scaleblocks.core.servlet;

  exports dev.scaleblocks.core.internal to
      dev.scaleblocks.cache,
      dev.scaleblocks.ratelimit,
      dev.scaleblocks.sharding,
      dev.scaleblocks.pooling;
  exports dev.scaleblocks.core.internal.redis to
      dev.scaleblocks.cache,
      dev.scaleblocks.ratelimit;

  // Telemetry hands out a MeterRegistry and a Tracer
  requires transitive micrometer.core;
  requires transitive io.opentelemetry.api;
  requires io.opentelemetry.context;
  requires org.slf4j;

  // optional, not transitive (a module without them must still resolve): JSpecify annotations;
  // Error Prone's @FormatMethod on Checks; Jedis and Lettuce for the redis backends; the servlet API and Netty
  // for the adapter packages
  requires static org.jspecify;
  requires static com.google.errorprone.annotations;
  requires static redis.clients.jedis;
  requires static org.apache.commons.pool2; // a Jedis subscription makes its own connection with the pool's factory
  requires static lettuce.core;
  requires static jakarta.servlet;
  requires static io.netty.codec.http;
  requires static io.netty.transport;
  requires static io.netty.common;
  requires static io.netty.buffer;
  requires static io.netty.codec;
  requires static io.netty.handler;
}
