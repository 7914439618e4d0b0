package dev.scaleblocks.cache;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.codec.Codec;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Keys and values of one cache as Redis sees them: the user's codecs, the key prefix and the size
 * limits, each failure an {@link IllegalArgumentException} naming the codec or limit and the key.
 *
 * <p>Thread-safe (immutable; the codecs are required to be). Cost: one codec call and one copy
 * per key ({@link #redisKey}); messages are only built on failure.
 */
final class Encoding<K, V> {

  private final CacheConfig config;
  private final CacheMetrics metrics;
  private final @Nullable Codec<K> keyCodec;
  private final @Nullable Codec<V> valueCodec;

  @SuppressWarnings("unchecked")
  Encoding(CacheConfig config, CacheMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.keyCodec = (Codec<K>) config.keyCodec;
    this.valueCodec = (Codec<V>) config.valueCodec;
  }

  /**
   * Refuses a null or (for String keys, by characters) over-long key before anything is touched;
   * other keys are measured by their encoded bytes when they are encoded, before any Redis call.
   */
  void checkKey(@Nullable K key) {
    requireNonNull(key, "key");
    if (key instanceof String s && s.length() > config.maxKeyLength) {
      throw new IllegalArgumentException(
          "key length must be at most " + config.maxKeyLength + " but was " + s.length());
    }
  }

  /**
   * The key as its codec encodes it, checked: at most {@code maxKeyLength} bytes, and not starting
   * with {@link #TAG_MARKER}, under which the cache keeps its tag sets (such a key would read or
   * overwrite one).
   */
  byte[] encodeKey(K key) {
    byte[] bytes = encode(Objects.requireNonNull(keyCodec), key, "keyCodec", "key ", key);
    if (bytes.length > config.maxKeyLength) {
      throw new IllegalArgumentException(
          "key length must be at most " + config.maxKeyLength + " but was " + bytes.length);
    }
    if (bytes.length >= TAG_MARKER.length && bytes[0] == 0 && startsWithMarker(bytes)) {
      throw new IllegalArgumentException("key must not start with \\0tag\\0 when encoded (the prefix of the "
          + "cache's tag sets in Redis) but was " + printable(key));
    }
    return bytes;
  }

  /** What follows a cache's key prefix in the Redis key of each of its tag sets. */
  static final byte[] TAG_MARKER = {0, 't', 'a', 'g', 0};

  private static boolean startsWithMarker(byte[] bytes) {
    for (int i = 0; i < TAG_MARKER.length; i++) {
      if (bytes[i] != TAG_MARKER[i]) {
        return false;
      }
    }
    return true;
  }

  private static String printable(Object key) {
    return String.valueOf(key).replace("\0", "\\0");
  }

  /** The key of invalidation messages back to a key; {@code null} or a throw: undecodable. */
  @Nullable K decodeKey(byte[] bytes) {
    return Objects.requireNonNull(keyCodec).decode(bytes);
  }

  /** The Redis key of encoded key {@code keyBytes}: the cache's prefix and the bytes. */
  byte[] redisKey(byte[] keyBytes) {
    return concat(config.keyPrefix, keyBytes);
  }

  /** {@link #redisKey} back to the encoded key (what invalidation messages carry). */
  byte[] keyBytes(byte[] redisKey) {
    return java.util.Arrays.copyOfRange(redisKey, config.keyPrefix.length, redisKey.length);
  }

  byte[] encodeValue(K key, V value) {
    return encode(Objects.requireNonNull(valueCodec), value, "valueCodec", "the value of key ", key);
  }

  @Nullable V decodeValue(byte[] bytes) {
    return Objects.requireNonNull(valueCodec).decode(bytes);
  }

  /** Refuses a put of an encoded value over {@code maxValueBytes}, counting it. */
  void checkSize(int size) {
    if (size > config.maxValueBytes) {
      metrics.oversized.increment();
      throw new IllegalArgumentException(
          "value must be at most maxValueBytes " + config.maxValueBytes + " bytes encoded but was " + size);
    }
  }

  /**
   * Runs a user codec; a throw or a null becomes an exception naming the codec and the key (the
   * message is only built on failure).
   */
  private static <T> byte[] encode(Codec<T> codec, T input, String codecName, String what, Object key) {
    byte[] bytes;
    try {
      bytes = codec.encode(input);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(codecName + " failed to encode " + what + key + ": " + e, e);
    }
    if (bytes == null) {
      throw new IllegalArgumentException(codecName + " returned null for " + what + key);
    }
    return bytes;
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
