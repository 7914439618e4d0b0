package dev.scaleblocks.spring.boot.autoconfigure.cache;

import dev.scaleblocks.core.codec.Codec;
import org.jspecify.annotations.Nullable;

/**
 * The codec of each cache's values in Redis. Declare a bean of this type to store values your own
 * way (protobuf, a JSON mapper with your modules, a generic type); the default encodes the cache's
 * {@code value-type} as JSON with the application's Jackson mapper. There is no default that reads
 * arbitrary classes back from Redis: that is a deserialization hole.
 *
 * <p>Implementations must be thread-safe.
 */
@FunctionalInterface
public interface CacheValueCodecs {

  /**
   * The codec of cache {@code cacheName}'s values, or null when this source has none for it (then
   * a cache with a Redis L2 fails at startup, naming the property to set).
   *
   * @param valueType the cache's {@code value-type} property, or null when unset
   */
  @Nullable Codec<Object> codec(String cacheName, @Nullable Class<?> valueType);
}
