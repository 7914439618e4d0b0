package dev.scaleblocks.cache;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.codec.Codec;
import java.util.function.ToIntBiFunction;
import org.jspecify.annotations.Nullable;

/** The immutable copy of a {@link TieredCacheBuilder}'s options. */
final class CacheConfig {

  final String name;
  final long maximumSize;
  final long maximumWeight;
  final @Nullable ToIntBiFunction<Object, Object> weigher;
  final long l1TtlNanos;
  final long l2TtlMillis;
  final double ttlJitter;
  final long negativeTtlNanos;
  final double refreshAhead;
  final long staleNanos;
  /** The timeouts of a call that gives none of its own. */
  final LoadTimeouts loadTimeouts;
  /** A Jedis {@code UnifiedJedis}, or a Lettuce {@code RedisClient} / {@code RedisClusterClient}. */
  final @Nullable Object redis;
  /** Jedis calls queued per node and pipelined ({@link TieredCacheBuilder#coalesceRedisCalls}). */
  final boolean coalesce;
  final @Nullable Codec<Object> keyCodec;
  final @Nullable Codec<Object> valueCodec;
  final byte[] keyPrefix;
  final int maxValueBytes;
  final int maxKeyLength;
  final long l2TimeoutNanos;
  final long leaseMillis;
  final boolean invalidation;
  final long heartbeatNanos;
  final int asyncThreads;
  final int asyncQueue;
  /**
   * The user's breaker guarding the L2, or {@code null}: then a Redis-backed cache builds its own
   * ({@code cache.<name>}) and closes it with itself; an L1-only cache has none.
   */
  final @Nullable CircuitBreaker breaker;
  final Ticker ticker;
  final Telemetry telemetry;
  final String instanceId;

  CacheConfig(TieredCacheBuilder<?, ?> b) {
    this.name = java.util.Objects.requireNonNull(b.name);
    this.maximumWeight = b.maximumWeight;
    this.maximumSize = b.maximumSize < 0 && b.maximumWeight < 0 ? 10_000 : b.maximumSize;
    this.weigher = b.weigher;
    this.l1TtlNanos = b.l1Ttl.toNanos();
    this.l2TtlMillis = Math.max(1, b.l2Ttl.toMillis());
    this.ttlJitter = b.ttlJitter;
    this.negativeTtlNanos = b.negativeTtl.toNanos();
    this.refreshAhead = b.refreshAhead;
    this.staleNanos = b.staleIfError.toNanos();
    this.loadTimeouts = LoadTimeouts.ofEither(b.loadSoftTimeout, b.loadHardTimeout);
    this.redis = b.redis;
    this.coalesce = b.coalesce;
    this.keyCodec = b.keyCodec;
    this.valueCodec = b.valueCodec;
    String prefix = b.keyPrefix != null ? b.keyPrefix : b.name + ":";
    this.keyPrefix = prefix.getBytes(UTF_8);
    this.maxValueBytes = b.maxValueBytes;
    this.maxKeyLength = b.maxKeyLength;
    this.l2TimeoutNanos = b.l2Timeout.toNanos();
    this.leaseMillis = b.leaseTime.toMillis();
    this.invalidation = b.invalidation;
    this.heartbeatNanos = b.heartbeat.toNanos();
    this.asyncThreads = b.asyncThreads;
    this.asyncQueue = b.asyncQueue;
    this.ticker = b.ticker;
    this.telemetry = b.telemetry;
    this.breaker = b.breaker;
    this.instanceId = b.instanceIdOrRandom();
  }
}
