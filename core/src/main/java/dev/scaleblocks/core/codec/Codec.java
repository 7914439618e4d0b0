package dev.scaleblocks.core.codec;

/**
 * Turns values into bytes and back, for anything scaleblocks writes to a remote store.
 *
 * <p>Implementations must be thread-safe and stateless with respect to calls; {@code decode} must
 * accept exactly what {@code encode} produced, including across versions of the application that
 * share a Redis. Nothing in scaleblocks uses Java native serialization: a deserialization of
 * untrusted bytes into arbitrary classes is a remote-code-execution hole, so pick or write a codec
 * for your type (JSON, protobuf, a hand-written layout).
 *
 * <p>A codec may throw any {@link RuntimeException} for bytes it cannot read; callers treat that as
 * a miss, never as a value.
 *
 * @param <V> the value type
 */
public interface Codec<V> {

  /** Encodes a non-null value. */
  byte[] encode(V value);

  /** Decodes bytes produced by {@link #encode}. */
  V decode(byte[] bytes);

  /** UTF-8 strings. Malformed input decodes with replacement characters, as {@link String#String(byte[], java.nio.charset.Charset)} does. */
  static Codec<String> utf8() {
    return Codecs.Utf8.INSTANCE;
  }

  /** Raw bytes, passed through without copying: callers must not mutate arrays they hand over. */
  static Codec<byte[]> bytes() {
    return Codecs.Bytes.INSTANCE;
  }

  /** {@code long} values as 8 bytes, big-endian; any other length fails to decode. */
  static Codec<Long> longs() {
    return Codecs.Longs.INSTANCE;
  }
}
