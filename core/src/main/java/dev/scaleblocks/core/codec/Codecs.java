package dev.scaleblocks.core.codec;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The built-in codecs. Null arguments are checked explicitly: the JVM's own NullPointerException
 * loses its message once a hot throw site is compiled (OmitStackTraceInFastThrow).
 */
final class Codecs {

  private Codecs() {}

  enum Utf8 implements Codec<String> {
    INSTANCE;

    @Override
    public byte[] encode(String value) {
      return requireNonNull(value, "value").getBytes(UTF_8);
    }

    @Override
    public String decode(byte[] bytes) {
      return new String(requireNonNull(bytes, "bytes"), UTF_8);
    }
  }

  enum Bytes implements Codec<byte[]> {
    INSTANCE;

    @Override
    public byte[] encode(byte[] value) {
      return value;
    }

    @Override
    public byte[] decode(byte[] bytes) {
      return bytes;
    }
  }

  enum Longs implements Codec<Long> {
    INSTANCE;

    @Override
    public byte[] encode(Long value) {
      long v = requireNonNull(value, "value");
      byte[] out = new byte[Long.BYTES];
      for (int i = Long.BYTES - 1; i >= 0; i--) {
        out[i] = (byte) v;
        v >>>= 8;
      }
      return out;
    }

    @Override
    public Long decode(byte[] bytes) {
      if (requireNonNull(bytes, "bytes").length != Long.BYTES) {
        throw new IllegalArgumentException(
            "long codec needs 8 bytes but got " + bytes.length);
      }
      long v = 0;
      for (byte b : bytes) {
        v = (v << 8) | (b & 0xFF);
      }
      return v;
    }
  }
}
