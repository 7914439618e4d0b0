package dev.scaleblocks.core.hash;

import dev.scaleblocks.core.internal.Checks;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Non-cryptographic key hashing: xxHash64 (XXH64) and MurmurHash3 x64 128-bit, bit-for-bit equal
 * to the reference implementations, to lz4-java's {@code XXHashFactory...hash64()} and to Guava's
 * {@code Hashing.murmur3_128()}.
 *
 * <h2>Strings</h2>
 * A {@link CharSequence} is hashed as its UTF-8 bytes. When every char is below {@code 0x80} (the
 * common case for keys) the chars are hashed directly without an intermediate {@code byte[]} (for
 * xxHash64 of a String of up to 256 chars, from a reused per-thread {@code char[]} copy made with
 * the intrinsic {@code String.getChars}); any other input is encoded once with
 * {@code s.toString().getBytes(UTF_8)}. Malformed UTF-16 (an
 * unpaired surrogate) is therefore hashed exactly as {@link String#getBytes(java.nio.charset.Charset)}
 * encodes it: each unpaired surrogate becomes {@code '?'} (0x3F). Guava's
 * {@code hashString(s, UTF_8)} does the same for MurmurHash3 128, so the two agree on every input.
 *
 * <h2>Longs</h2>
 * {@code xxHash64(long)} and {@code murmur3_128(long)} hash the 8 little-endian bytes of the value
 * (the same as Guava's {@code hashLong}), without allocating.
 *
 * <h2>Seeds</h2>
 * MurmurHash3's 32-bit seed is widened as the reference C code does ({@code uint32_t} to
 * {@code uint64_t}, i.e. without sign extension). Guava sign-extends, so for a negative seed Guava
 * and this class differ; for seeds {@code >= 0} (including Guava's default 0) they are equal.
 *
 * <p>Thread-safe (stateless). Cost: O(length) with no allocation, except a non-ASCII
 * {@code CharSequence} (one UTF-8 encoding) and {@link Hash128} results (one small object).
 */
public final class Hashing {

  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT_LE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private static final long P1 = 0x9E3779B185EBCA87L;
  private static final long P2 = 0xC2B2AE3D27D4EB4FL;
  private static final long P3 = 0x165667B19E3779F9L;
  private static final long P4 = 0x85EBCA77C2B2AE63L;
  private static final long P5 = 0x27D4EB2F165667C5L;

  private static final int SCRATCH_CHARS = 256;
  private static final ThreadLocal<char[]> SCRATCH =
      ThreadLocal.withInitial(() -> new char[SCRATCH_CHARS]);

  /**
   * Returned by {@link #xxh64CharArray} for non-ASCII input. A real hash equal to it merely takes
   * the (equal-valued) UTF-8 path.
   */
  private static final long NON_ASCII = 0x8000_0000_0000_0001L;

  private static final long C1 = 0x87c37b91114253d5L;
  private static final long C2 = 0x4cf5ad432745937fL;

  private Hashing() {}

  // ---------------------------------------------------------------- xxHash64

  /** xxHash64 of all of {@code data} with seed 0. */
  public static long xxHash64(byte[] data) {
    Checks.requireNonNull(data, "data");
    return xxh64Bytes(data, 0, data.length, 0L);
  }

  /** xxHash64 of {@code data[offset, offset + length)} with {@code seed}. */
  public static long xxHash64(byte[] data, int offset, int length, long seed) {
    checkRange(data, offset, length);
    return xxh64Bytes(data, offset, length, seed);
  }

  /** xxHash64 (seed 0) of the UTF-8 bytes of {@code s}; see the class notes on strings. */
  public static long xxHash64(CharSequence s) {
    Checks.requireNonNull(s, "s");
    int len = s.length();
    if (s instanceof String str && len <= SCRATCH_CHARS) {
      // String.getChars is an intrinsic bulk copy; hashing from a char[] then avoids a bounds- and
      // coder-checked charAt per char. The scratch array is per thread and reused.
      char[] chars = SCRATCH.get();
      str.getChars(0, len, chars, 0);
      long h = xxh64CharArray(chars, len, 0L);
      return h != NON_ASCII ? h : xxh64Utf8(s, 0L);
    }
    if (!isAscii(s)) {
      return xxh64Utf8(s, 0L);
    }
    return xxh64Chars(s, len, 0L);
  }

  /** xxHash64 (seed 0) of the 8 little-endian bytes of {@code value}. */
  public static long xxHash64(long value) {
    long h = P5 + 8;
    h ^= xxRound(0, value);
    h = Long.rotateLeft(h, 27) * P1 + P4;
    return xxAvalanche(h);
  }

  private static long xxh64Bytes(byte[] b, int off, int len, long seed) {
    int end = off + len;
    int p = off;
    long h;
    if (len >= 32) {
      long v1 = seed + P1 + P2;
      long v2 = seed + P2;
      long v3 = seed;
      long v4 = seed - P1;
      int limit = end - 32;
      do {
        v1 = xxRound(v1, (long) LONG_LE.get(b, p));
        v2 = xxRound(v2, (long) LONG_LE.get(b, p + 8));
        v3 = xxRound(v3, (long) LONG_LE.get(b, p + 16));
        v4 = xxRound(v4, (long) LONG_LE.get(b, p + 24));
        p += 32;
      } while (p <= limit);
      h = xxMergeAccs(v1, v2, v3, v4);
    } else {
      h = seed + P5;
    }
    h += len;
    while (p + 8 <= end) {
      h ^= xxRound(0, (long) LONG_LE.get(b, p));
      h = Long.rotateLeft(h, 27) * P1 + P4;
      p += 8;
    }
    if (p + 4 <= end) {
      h ^= ((int) INT_LE.get(b, p) & 0xFFFFFFFFL) * P1;
      h = Long.rotateLeft(h, 23) * P2 + P3;
      p += 4;
    }
    while (p < end) {
      h ^= (b[p] & 0xFFL) * P5;
      h = Long.rotateLeft(h, 11) * P1;
      p++;
    }
    return xxAvalanche(h);
  }

  /**
   * Hashes the chars of {@code s} as bytes in one pass while OR-ing them together; if any char
   * turns out to be non-ASCII the result is discarded and the UTF-8 bytes are hashed instead.
   */
  private static long xxh64Chars(CharSequence s, int len, long seed) {
    int p = 0;
    int or = 0;
    long h;
    if (len >= 32) {
      long v1 = seed + P1 + P2;
      long v2 = seed + P2;
      long v3 = seed;
      long v4 = seed - P1;
      int limit = len - 32;
      do {
        long w1 = chars8(s, p);
        long w2 = chars8(s, p + 8);
        long w3 = chars8(s, p + 16);
        long w4 = chars8(s, p + 24);
        or |= (int) ((w1 | w2 | w3 | w4) >>> 56);
        v1 = xxRound(v1, w1);
        v2 = xxRound(v2, w2);
        v3 = xxRound(v3, w3);
        v4 = xxRound(v4, w4);
        p += 32;
      } while (p <= limit);
      h = xxMergeAccs(v1, v2, v3, v4);
    } else {
      h = seed + P5;
    }
    h += len;
    while (p + 8 <= len) {
      long w = chars8(s, p);
      or |= (int) (w >>> 56);
      h ^= xxRound(0, w);
      h = Long.rotateLeft(h, 27) * P1 + P4;
      p += 8;
    }
    if (p + 4 <= len) {
      long w = chars4(s, p);
      or |= (int) (w >>> 56);
      h ^= w * P1;
      h = Long.rotateLeft(h, 23) * P2 + P3;
      p += 4;
    }
    while (p < len) {
      char c = s.charAt(p);
      or |= c;
      h ^= (c & 0xFFL) * P5;
      h = Long.rotateLeft(h, 11) * P1;
      p++;
    }
    if ((or & ~0x7F) != 0) {
      return xxh64Utf8(s, seed);
    }
    return xxAvalanche(h);
  }

  /** xxHash64 of {@code c[0, len)} taken as bytes, or {@link #NON_ASCII} if any char is not ASCII. */
  private static long xxh64CharArray(char[] c, int len, long seed) {
    int p = 0;
    int or = 0;
    long h;
    if (len >= 32) {
      long v1 = seed + P1 + P2;
      long v2 = seed + P2;
      long v3 = seed;
      long v4 = seed - P1;
      int limit = len - 32;
      do {
        long w1 = array8(c, p);
        long w2 = array8(c, p + 8);
        long w3 = array8(c, p + 16);
        long w4 = array8(c, p + 24);
        or |= (int) ((w1 | w2 | w3 | w4) >>> 56);
        v1 = xxRound(v1, w1);
        v2 = xxRound(v2, w2);
        v3 = xxRound(v3, w3);
        v4 = xxRound(v4, w4);
        p += 32;
      } while (p <= limit);
      h = xxMergeAccs(v1, v2, v3, v4);
    } else {
      h = seed + P5;
    }
    h += len;
    while (p + 8 <= len) {
      long w = array8(c, p);
      or |= (int) (w >>> 56);
      h ^= xxRound(0, w);
      h = Long.rotateLeft(h, 27) * P1 + P4;
      p += 8;
    }
    if (p + 4 <= len) {
      int c0 = c[p];
      int c1 = c[p + 1];
      int c2 = c[p + 2];
      int c3 = c[p + 3];
      or |= c0 | c1 | c2 | c3;
      h ^= ((long) c0 | (long) c1 << 8 | (long) c2 << 16 | (long) c3 << 24) * P1;
      h = Long.rotateLeft(h, 23) * P2 + P3;
      p += 4;
    }
    while (p < len) {
      char ch = c[p];
      or |= ch;
      h ^= (ch & 0xFFL) * P5;
      h = Long.rotateLeft(h, 11) * P1;
      p++;
    }
    if ((or & ~0x7F) != 0) {
      return NON_ASCII;
    }
    return xxAvalanche(h);
  }

  /** Like {@link #chars8} over a char array. */
  private static long array8(char[] c, int p) {
    int c0 = c[p];
    int c1 = c[p + 1];
    int c2 = c[p + 2];
    int c3 = c[p + 3];
    int c4 = c[p + 4];
    int c5 = c[p + 5];
    int c6 = c[p + 6];
    int c7 = c[p + 7];
    long word =
        (long) c0
            | (long) c1 << 8
            | (long) c2 << 16
            | (long) c3 << 24
            | (long) c4 << 32
            | (long) c5 << 40
            | (long) c6 << 48
            | (long) c7 << 56;
    int or = c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7;
    return (or & ~0x7F) == 0 ? word : word | Long.MIN_VALUE;
  }

  private static long xxh64Utf8(CharSequence s, long seed) {
    byte[] utf8 = s.toString().getBytes(StandardCharsets.UTF_8);
    return xxh64Bytes(utf8, 0, utf8.length, seed);
  }

  private static long xxRound(long acc, long input) {
    acc += input * P2;
    acc = Long.rotateLeft(acc, 31);
    return acc * P1;
  }

  private static long xxMerge(long h, long v) {
    h ^= xxRound(0, v);
    return h * P1 + P4;
  }

  private static long xxMergeAccs(long v1, long v2, long v3, long v4) {
    long h =
        Long.rotateLeft(v1, 1)
            + Long.rotateLeft(v2, 7)
            + Long.rotateLeft(v3, 12)
            + Long.rotateLeft(v4, 18);
    h = xxMerge(h, v1);
    h = xxMerge(h, v2);
    h = xxMerge(h, v3);
    return xxMerge(h, v4);
  }

  private static long xxAvalanche(long h) {
    h ^= h >>> 33;
    h *= P2;
    h ^= h >>> 29;
    h *= P3;
    h ^= h >>> 32;
    return h;
  }

  // ---------------------------------------------------------------- MurmurHash3 x64 128

  /** MurmurHash3 x64 128-bit of all of {@code data} with seed 0 (Guava's {@code murmur3_128()}). */
  public static Hash128 murmur3_128(byte[] data) {
    Checks.requireNonNull(data, "data");
    return murmurBytes(data, 0, data.length, 0);
  }

  /** MurmurHash3 x64 128-bit of {@code data[off, off + len)} with {@code seed}. */
  public static Hash128 murmur3_128(byte[] data, int off, int len, int seed) {
    checkRange(data, off, len);
    return murmurBytes(data, off, len, seed);
  }

  /** MurmurHash3 x64 128-bit (seed 0) of the UTF-8 bytes of {@code s}; see the class notes. */
  public static Hash128 murmur3_128(CharSequence s) {
    Checks.requireNonNull(s, "s");
    return murmurChars(s);
  }

  /** MurmurHash3 x64 128-bit (seed 0) of the 8 little-endian bytes of {@code value} (Guava's {@code hashLong}). */
  public static Hash128 murmur3_128(long value) {
    long h1 = 0;
    long h2 = 0;
    h1 ^= mixK1(value);
    return murmurFinish(h1, h2, 8);
  }

  /** The first 64 bits of {@link #murmur3_128(byte[])}, without allocating. */
  public static long murmur3_64(byte[] data) {
    Checks.requireNonNull(data, "data");
    return murmur64Bytes(data, 0, data.length, 0);
  }

  /** The first 64 bits of {@link #murmur3_128(byte[], int, int, int)}. */
  public static long murmur3_64(byte[] data, int off, int len, int seed) {
    checkRange(data, off, len);
    return murmur64Bytes(data, off, len, seed);
  }

  /** The first 64 bits of {@link #murmur3_128(CharSequence)}; no allocation for ASCII input. */
  public static long murmur3_64(CharSequence s) {
    Checks.requireNonNull(s, "s");
    return murmur64Chars(s);
  }

  /** The first 64 bits of {@link #murmur3_128(long)}, without allocating. */
  public static long murmur3_64(long value) {
    long h1 = mixK1(value);
    long h2 = 0;
    h1 ^= 8;
    h2 ^= 8;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    return h1 + h2;
  }

  // The 64-bit variants repeat the loop rather than box a Hash128 so that escape analysis is not
  // needed for zero allocation.
  private static long murmur64Bytes(byte[] b, int off, int len, int seed) {
    long h1 = seed & 0xFFFFFFFFL;
    long h2 = h1;
    int p = off;
    int blockEnd = off + (len & ~15);
    for (; p < blockEnd; p += 16) {
      long k1 = (long) LONG_LE.get(b, p);
      long k2 = (long) LONG_LE.get(b, p + 8);
      h1 ^= mixK1(k1);
      h1 = Long.rotateLeft(h1, 27);
      h1 += h2;
      h1 = h1 * 5 + 0x52dce729;
      h2 ^= mixK2(k2);
      h2 = Long.rotateLeft(h2, 31);
      h2 += h1;
      h2 = h2 * 5 + 0x38495ab5;
    }
    int rem = len & 15;
    long k1 = 0;
    long k2 = 0;
    for (int i = rem - 1; i >= 8; i--) {
      k2 = (k2 << 8) | (b[p + i] & 0xFFL);
    }
    for (int i = Math.min(rem, 8) - 1; i >= 0; i--) {
      k1 = (k1 << 8) | (b[p + i] & 0xFFL);
    }
    h1 ^= mixK1(k1);
    h2 ^= mixK2(k2);
    h1 ^= len;
    h2 ^= len;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    return h1 + h2;
  }

  private static long murmur64Chars(CharSequence s) {
    int len = s.length();
    long h1 = 0;
    long h2 = 0;
    int p = 0;
    int or = 0;
    int blockEnd = len & ~15;
    for (; p < blockEnd; p += 16) {
      long k1 = chars8(s, p);
      long k2 = chars8(s, p + 8);
      or |= (int) ((k1 | k2) >>> 56);
      h1 ^= mixK1(k1);
      h1 = Long.rotateLeft(h1, 27);
      h1 += h2;
      h1 = h1 * 5 + 0x52dce729;
      h2 ^= mixK2(k2);
      h2 = Long.rotateLeft(h2, 31);
      h2 += h1;
      h2 = h2 * 5 + 0x38495ab5;
    }
    int rem = len & 15;
    long k1 = 0;
    long k2 = 0;
    for (int i = rem - 1; i >= 8; i--) {
      char c = s.charAt(p + i);
      or |= c;
      k2 = (k2 << 8) | (c & 0xFFL);
    }
    for (int i = Math.min(rem, 8) - 1; i >= 0; i--) {
      char c = s.charAt(p + i);
      or |= c;
      k1 = (k1 << 8) | (c & 0xFFL);
    }
    if ((or & ~0x7F) != 0) {
      byte[] utf8 = s.toString().getBytes(StandardCharsets.UTF_8);
      return murmur64Bytes(utf8, 0, utf8.length, 0);
    }
    h1 ^= mixK1(k1);
    h2 ^= mixK2(k2);
    h1 ^= len;
    h2 ^= len;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    return h1 + h2;
  }

  private static Hash128 murmurBytes(byte[] b, int off, int len, int seed) {
    long h1 = seed & 0xFFFFFFFFL;
    long h2 = h1;
    int p = off;
    int blockEnd = off + (len & ~15);
    for (; p < blockEnd; p += 16) {
      long k1 = (long) LONG_LE.get(b, p);
      long k2 = (long) LONG_LE.get(b, p + 8);
      h1 ^= mixK1(k1);
      h1 = Long.rotateLeft(h1, 27);
      h1 += h2;
      h1 = h1 * 5 + 0x52dce729;
      h2 ^= mixK2(k2);
      h2 = Long.rotateLeft(h2, 31);
      h2 += h1;
      h2 = h2 * 5 + 0x38495ab5;
    }
    int rem = len & 15;
    long k1 = 0;
    long k2 = 0;
    for (int i = rem - 1; i >= 8; i--) {
      k2 = (k2 << 8) | (b[p + i] & 0xFFL);
    }
    for (int i = Math.min(rem, 8) - 1; i >= 0; i--) {
      k1 = (k1 << 8) | (b[p + i] & 0xFFL);
    }
    h1 ^= mixK1(k1);
    h2 ^= mixK2(k2);
    return murmurFinish(h1, h2, len);
  }

  private static Hash128 murmurChars(CharSequence s) {
    int len = s.length();
    long h1 = 0;
    long h2 = 0;
    int p = 0;
    int or = 0;
    int blockEnd = len & ~15;
    for (; p < blockEnd; p += 16) {
      long k1 = chars8(s, p);
      long k2 = chars8(s, p + 8);
      or |= (int) ((k1 | k2) >>> 56);
      h1 ^= mixK1(k1);
      h1 = Long.rotateLeft(h1, 27);
      h1 += h2;
      h1 = h1 * 5 + 0x52dce729;
      h2 ^= mixK2(k2);
      h2 = Long.rotateLeft(h2, 31);
      h2 += h1;
      h2 = h2 * 5 + 0x38495ab5;
    }
    int rem = len & 15;
    long k1 = 0;
    long k2 = 0;
    for (int i = rem - 1; i >= 8; i--) {
      char c = s.charAt(p + i);
      or |= c;
      k2 = (k2 << 8) | (c & 0xFFL);
    }
    for (int i = Math.min(rem, 8) - 1; i >= 0; i--) {
      char c = s.charAt(p + i);
      or |= c;
      k1 = (k1 << 8) | (c & 0xFFL);
    }
    if ((or & ~0x7F) != 0) {
      byte[] utf8 = s.toString().getBytes(StandardCharsets.UTF_8);
      return murmurBytes(utf8, 0, utf8.length, 0);
    }
    h1 ^= mixK1(k1);
    h2 ^= mixK2(k2);
    return murmurFinish(h1, h2, len);
  }

  private static Hash128 murmurFinish(long h1, long h2, int len) {
    h1 ^= len;
    h2 ^= len;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 += h2;
    h2 += h1;
    return new Hash128(h1, h2);
  }

  private static long mixK1(long k1) {
    k1 *= C1;
    k1 = Long.rotateLeft(k1, 31);
    return k1 * C2;
  }

  private static long mixK2(long k2) {
    k2 *= C2;
    k2 = Long.rotateLeft(k2, 33);
    return k2 * C1;
  }

  private static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }

  // ---------------------------------------------------------------- helpers

  private static boolean isAscii(CharSequence s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /**
   * Little-endian word of 8 chars taken as bytes. Bit 63 is set when any of them is non-ASCII;
   * callers then discard the word (the result is only used when every char is ASCII).
   */
  private static long chars8(CharSequence s, int p) {
    int c0 = s.charAt(p);
    int c1 = s.charAt(p + 1);
    int c2 = s.charAt(p + 2);
    int c3 = s.charAt(p + 3);
    int c4 = s.charAt(p + 4);
    int c5 = s.charAt(p + 5);
    int c6 = s.charAt(p + 6);
    int c7 = s.charAt(p + 7);
    long word =
        (long) c0
            | (long) c1 << 8
            | (long) c2 << 16
            | (long) c3 << 24
            | (long) c4 << 32
            | (long) c5 << 40
            | (long) c6 << 48
            | (long) c7 << 56;
    int or = c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7;
    return (or & ~0x7F) == 0 ? word : word | Long.MIN_VALUE;
  }

  private static long chars4(CharSequence s, int p) {
    int c0 = s.charAt(p);
    int c1 = s.charAt(p + 1);
    int c2 = s.charAt(p + 2);
    int c3 = s.charAt(p + 3);
    long word = (long) c0 | (long) c1 << 8 | (long) c2 << 16 | (long) c3 << 24;
    return ((c0 | c1 | c2 | c3) & ~0x7F) == 0 ? word : word | Long.MIN_VALUE;
  }

  private static void checkRange(byte[] data, int offset, int length) {
    Checks.requireNonNull(data, "data");
    Checks.requireArgument(
        offset >= 0 && offset <= data.length,
        "offset must be in [0, %s] but was %s",
        data.length,
        offset);
    Checks.requireArgument(
        length >= 0 && length <= data.length - offset,
        "length must be in [0, %s] for data.length %s and offset %s but was %s",
        data.length - offset,
        data.length,
        offset,
        length);
  }
}
