package dev.scaleblocks.cache;

import org.jspecify.annotations.Nullable;

/**
 * The L2 value layout: a 26-byte header then the encoded value, so that one GET answers value,
 * version, write time and logical expiry.
 *
 * <pre>
 *   0      magic 0x5B
 *   1      flags (bit 0: negative entry, bit 1: tombstone; neither has value bytes)
 *   2..9   version, big-endian
 *   10..17 write time, epoch millis
 *   18..25 logical expiry, epoch millis (the physical PX adds the stale-if-error window)
 *   26..   value bytes
 * </pre>
 */
final class Envelope {

  static final int HEADER = 26;
  private static final byte MAGIC = 0x5B;
  private static final byte NEGATIVE = 1;
  private static final byte TOMBSTONE = 2;

  final boolean negative;
  final boolean tombstone;
  final long version;
  final long writeMillis;
  final long expiryMillis;
  final byte[] raw;

  private Envelope(boolean negative, boolean tombstone, long version, long writeMillis, long expiryMillis,
      byte[] raw) {
    this.negative = negative;
    this.tombstone = tombstone;
    this.version = version;
    this.writeMillis = writeMillis;
    this.expiryMillis = expiryMillis;
    this.raw = raw;
  }

  static byte[] encode(byte @Nullable [] value, long version, long writeMillis, long expiryMillis) {
    int len = value == null ? 0 : value.length;
    byte[] out = new byte[HEADER + len];
    out[0] = MAGIC;
    out[1] = value == null ? NEGATIVE : 0;
    putLong(out, 2, version);
    putLong(out, 10, writeMillis);
    putLong(out, 18, expiryMillis);
    if (value != null) {
      System.arraycopy(value, 0, out, HEADER, len);
    }
    return out;
  }

  /** Parses an envelope, or returns {@code null} for bytes that are not one. */
  static @Nullable Envelope parse(byte[] raw) {
    if (raw.length < HEADER || raw[0] != MAGIC) {
      return null;
    }
    boolean negative = (raw[1] & NEGATIVE) != 0;
    boolean tombstone = (raw[1] & TOMBSTONE) != 0;
    if ((negative || tombstone) && raw.length != HEADER) {
      return null;
    }
    return new Envelope(negative, tombstone, getLong(raw, 2), getLong(raw, 10), getLong(raw, 18), raw);
  }

  /**
   * What an invalidation leaves in L2 for a short while: "no value, load it", with a fresh version
   * so that a load that started before the invalidation cannot write its older result over it.
   */
  static byte[] tombstone(long version, long writeMillis) {
    byte[] out = encode(null, version, writeMillis, writeMillis);
    out[1] = TOMBSTONE;
    return out;
  }

  /** The version bytes of whatever L2 held (for a compare-and-set), empty when it held nothing. */
  static byte[] versionBytes(byte @Nullable [] raw) {
    if (raw == null || raw.length < 10) {
      return new byte[0];
    }
    return java.util.Arrays.copyOfRange(raw, 2, 10);
  }

  byte[] valueBytes() {
    return java.util.Arrays.copyOfRange(raw, HEADER, raw.length);
  }

  static void putLong(byte[] b, int off, long v) {
    for (int i = 7; i >= 0; i--) {
      b[off + i] = (byte) v;
      v >>>= 8;
    }
  }

  static long getLong(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[off + i] & 0xFF);
    }
    return v;
  }
}
