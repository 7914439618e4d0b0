package dev.scaleblocks.core.hash;

/**
 * A 128-bit hash as two 64-bit halves, as produced by {@link Hashing#murmur3_128(byte[])}.
 *
 * <p>Byte order and text form match Guava's {@code HashCode}: {@link #toBytes()} is {@code h1}
 * then {@code h2}, each little-endian; {@link #toString()} is those 16 bytes in lowercase hex;
 * {@link #asLong()} is {@code h1}, the same as Guava's {@code HashCode.asLong()}.
 *
 * <p>Immutable and thread-safe; every method is O(1).
 *
 * @param h1 the first 64 bits (bytes 0..7, little-endian)
 * @param h2 the second 64 bits (bytes 8..15, little-endian)
 */
public record Hash128(long h1, long h2) {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** The first 64 bits; equal to Guava's {@code HashCode.asLong()} for the same hash. */
  public long asLong() {
    return h1;
  }

  /** The 16 bytes: {@code h1} little-endian, then {@code h2} little-endian. A new array each call. */
  public byte[] toBytes() {
    byte[] out = new byte[16];
    for (int i = 0; i < 8; i++) {
      out[i] = (byte) (h1 >>> (8 * i));
      out[8 + i] = (byte) (h2 >>> (8 * i));
    }
    return out;
  }

  /** The 16 bytes of {@link #toBytes()} as 32 lowercase hex digits, as Guava prints a HashCode. */
  @Override
  public String toString() {
    byte[] bytes = toBytes();
    char[] out = new char[32];
    for (int i = 0; i < 16; i++) {
      out[2 * i] = HEX[(bytes[i] >> 4) & 0xF];
      out[2 * i + 1] = HEX[bytes[i] & 0xF];
    }
    return new String(out);
  }
}
