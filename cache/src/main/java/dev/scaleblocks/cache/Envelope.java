package dev.scaleblocks.cache;

import org.jspecify.annotations.Nullable;

/**
 * The L2 value layout: a 34-byte header then the encoded value, so that one GET answers value,
 * version, write time and (with the key's PTTL from the same round trip) freshness.
 *
 * <pre>
 *   0      magic 0x5D
 *   1      flags (bit 0: negative entry, bit 1: tombstone; neither has value bytes; bit 2: tagged)
 *   2..9   version, big-endian
 *   10..17 write time, epoch millis of the writer's clock (Last-Modified only, never for freshness)
 *   18..25 fresh lifetime, millis
 *   26..33 stale-if-error window, millis (the key's PX is fresh lifetime + stale window)
 *   34..   tags, when tagged: a count (1 byte), then per tag its UTF-8 length (2 bytes) and bytes
 *   ..     value bytes
 * </pre>
 *
 * <p>The tags are there so that every instance that reads the entry from L2 files it under them in
 * its L1 (see {@link L1Tier}), whoever wrote it.
 *
 * <p>Freshness is never computed from a clock reading of the writer or the reader: the reader takes
 * the key's remaining TTL from Redis ({@code PTTL}); it is fresh while that is above the stale
 * window, and {@code freshLifetime - (pttl - staleWindow)} is its age, as Redis measured it.
 */
final class Envelope {

  static final int HEADER = 34;
  private static final byte MAGIC = 0x5D;
  private static final byte NEGATIVE = 1;
  private static final byte TOMBSTONE = 2;
  private static final byte TAGGED = 4;

  final boolean negative;
  final boolean tombstone;
  final long version;
  final long writeMillis;
  final long freshMillis;
  final long staleMillis;
  final byte[] raw;
  /** The entry's tags; {@code null} when it has none. */
  final @Nullable TagSet tags;
  /** Where the value bytes start. */
  private final int valueOffset;

  private Envelope(boolean negative, boolean tombstone, long version, long writeMillis, long freshMillis,
      long staleMillis, byte[] raw, @Nullable TagSet tags, int valueOffset) {
    this.negative = negative;
    this.tombstone = tombstone;
    this.version = version;
    this.writeMillis = writeMillis;
    this.freshMillis = freshMillis;
    this.staleMillis = staleMillis;
    this.raw = raw;
    this.tags = tags;
    this.valueOffset = valueOffset;
  }

  static byte[] encode(byte @Nullable [] value, long version, long writeMillis, long freshMillis, long staleMillis) {
    return encode(value, version, writeMillis, freshMillis, staleMillis, null);
  }

  /** As {@link #encode(byte[], long, long, long, long)}, with the entry's tags ({@code null}: none). */
  static byte[] encode(byte @Nullable [] value, long version, long writeMillis, long freshMillis, long staleMillis,
      @Nullable TagSet tags) {
    int len = value == null ? 0 : value.length;
    byte[] tagBytes = tags == null ? new byte[0] : tags.encode();
    byte[] out = new byte[HEADER + tagBytes.length + len];
    out[0] = MAGIC;
    out[1] = (byte) ((value == null ? NEGATIVE : 0) | (tags == null ? 0 : TAGGED));
    putLong(out, 2, version);
    putLong(out, 10, writeMillis);
    putLong(out, 18, freshMillis);
    putLong(out, 26, staleMillis);
    System.arraycopy(tagBytes, 0, out, HEADER, tagBytes.length);
    if (value != null) {
      System.arraycopy(value, 0, out, HEADER + tagBytes.length, len);
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
    TagSet tags = null;
    int valueOffset = HEADER;
    if ((raw[1] & TAGGED) != 0) {
      TagSet.Decoded d = TagSet.decode(raw, HEADER);
      if (d == null) {
        return null;
      }
      tags = d.tags();
      valueOffset = d.end();
    }
    if ((negative || tombstone) && raw.length != valueOffset) {
      return null;
    }
    long fresh = getLong(raw, 18);
    long stale = getLong(raw, 26);
    if (fresh < 0 || stale < 0) {
      return null;
    }
    return new Envelope(negative, tombstone, getLong(raw, 2), getLong(raw, 10), fresh, stale, raw, tags, valueOffset);
  }

  /**
   * What an invalidation leaves in L2 for a short while: "no value, load it", with a fresh version
   * so that a load that started before the invalidation cannot write its older result over it.
   */
  static byte[] tombstone(long version, long writeMillis) {
    byte[] out = encode(null, version, writeMillis, 0, 0);
    out[1] = TOMBSTONE;
    return out;
  }

  /**
   * Millis this entry stays fresh given the key's remaining TTL in Redis ({@code pttl}); zero or
   * less when only the stale-if-error window is left. A key without a TTL (written by something
   * else) counts as fresh for its whole fresh lifetime.
   */
  long remainingFreshMillis(long pttl) {
    if (pttl < 0) {
      return pttl == -1 ? freshMillis : 0;
    }
    return pttl - staleMillis;
  }

  /** The version bytes of whatever L2 held (for a compare-and-set), empty when it held nothing. */
  static byte[] versionBytes(byte @Nullable [] raw) {
    if (raw == null || raw.length < 10) {
      return new byte[0];
    }
    return java.util.Arrays.copyOfRange(raw, 2, 10);
  }

  byte[] valueBytes() {
    return java.util.Arrays.copyOfRange(raw, valueOffset, raw.length);
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
