package dev.scaleblocks.spring.boot.autoconfigure.cache;

import dev.scaleblocks.core.codec.Codec;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * Values as JSON of the cache's declared {@code value-type}, through a Jackson 3 mapper. Reads only
 * that type back (no polymorphic type ids), so bytes in Redis cannot name a class to instantiate.
 * Thread-safe, as the mapper is.
 */
final class JacksonValueCodecs implements CacheValueCodecs {

  private final JsonMapper mapper;

  JacksonValueCodecs(JsonMapper mapper) {
    this.mapper = mapper;
  }

  @Override
  public @Nullable Codec<Object> codec(String cacheName, @Nullable Class<?> valueType) {
    if (valueType == null) {
      return null;
    }
    Class<?> type = valueType;
    return new Codec<>() {
      @Override
      public byte[] encode(Object value) {
        return mapper.writeValueAsBytes(value);
      }

      @Override
      public Object decode(byte[] bytes) {
        return mapper.readValue(bytes, type);
      }
    };
  }
}
