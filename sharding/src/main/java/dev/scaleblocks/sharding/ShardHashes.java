package dev.scaleblocks.sharding;

import dev.scaleblocks.core.internal.Checks;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The hash functions behind the routers, for callers that need them directly: Jump consistent
 * hash, Redis Cluster's key slot and the ketama key hash.
 *
 * <p>Thread-safe; allocation-free for ASCII keys. Cost: O(key length), Jump O(log buckets).
 */
public final class ShardHashes {

  /** Number of Redis Cluster hash slots. */
  public static final int REDIS_SLOTS = 16384;

  private static final int[] CRC16_TABLE = new int[256];

  static {
    for (int i = 0; i < 256; i++) {
      int crc = i << 8;
      for (int j = 0; j < 8; j++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
      }
      CRC16_TABLE[i] = crc & 0xFFFF;
    }
  }

  /**
   * Per-thread MD5 state so that hot-path hashing does not allocate: {MessageDigest, byte[16]
   * digest, byte[] key scratch}. Only JDK types are stored, so a thread that outlives a web
   * application's class loader does not pin it.
   */
  private static final ThreadLocal<Object[]> MD5 = ThreadLocal.withInitial(ShardHashes::newMd5State);

  private static final int MIN_VALUE_SLOT =
      redisSlot(Long.toString(Long.MIN_VALUE).getBytes(StandardCharsets.US_ASCII));

  private ShardHashes() {}

  /**
   * Jump consistent hash (Lamping &amp; Veach 2014), bit-for-bit the paper's reference code: the
   * bucket in {@code [0, buckets)} for a 64-bit key. {@code key} should already be a good hash.
   */
  public static int jump(long key, int buckets) {
    Checks.requirePositive(buckets, "buckets");
    // The reference loop's first pass (b = 0) taken out of it: its (b + 1) × x is 1.0 × x, exactly
    // x, so the long-to-double conversion and the multiplication it costs on the chain that every
    // pass waits for are left out. Later passes are the reference code as written.
    key = key * 2862933555777941757L + 1;
    long b = 0;
    long j = (long) ((double) (1L << 31) / (double) ((key >>> 33) + 1));
    while (j < buckets) {
      b = j;
      key = key * 2862933555777941757L + 1;
      j = (long) ((b + 1) * ((double) (1L << 31) / (double) ((key >>> 33) + 1)));
    }
    return (int) b;
  }

  /** CRC16-CCITT (XMODEM) of {@code data[off, off + len)}, the checksum Redis Cluster uses. */
  public static int crc16(byte[] data, int off, int len) {
    Checks.requireNonNull(data, "data");
    Checks.requireArgument(
        off >= 0 && len >= 0 && off <= data.length - len,
        "off and len must select a range of data (length %s) but were %s and %s",
        data.length,
        off,
        len);
    int crc = 0;
    for (int i = off, end = off + len; i < end; i++) {
      crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ data[i]) & 0xFF]) & 0xFFFF;
    }
    return crc;
  }

  /**
   * The Redis Cluster hash slot of a key, as {@code CLUSTER KEYSLOT}: CRC16 of the key's UTF-8
   * bytes, or of the part between the first '{' and the next '}' when that part is non-empty,
   * {@code & 16383}.
   */
  public static int redisSlot(CharSequence key) {
    Checks.requireNonNull(key, "key");
    int len = key.length();
    int start = 0;
    int end = len;
    for (int i = 0; i < len; i++) {
      if (key.charAt(i) == '{') {
        for (int k = i + 1; k < len; k++) {
          if (key.charAt(k) == '}') {
            if (k > i + 1) {
              start = i + 1;
              end = k;
            }
            break;
          }
        }
        break;
      }
    }
    int crc = 0;
    for (int i = start; i < end; i++) {
      char c = key.charAt(i);
      if (c >= 0x80) {
        return redisSlot(key.toString().getBytes(StandardCharsets.UTF_8));
      }
      crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ c) & 0xFF]) & 0xFFFF;
    }
    return crc & (REDIS_SLOTS - 1);
  }

  /** The Redis Cluster hash slot of a binary key, honouring {@code {hash tags}}. */
  public static int redisSlot(byte[] key) {
    Checks.requireNonNull(key, "key");
    int len = key.length;
    for (int i = 0; i < len; i++) {
      if (key[i] == '{') {
        for (int k = i + 1; k < len; k++) {
          if (key[k] == '}') {
            if (k > i + 1) {
              return crc16(key, i + 1, k - i - 1) & (REDIS_SLOTS - 1);
            }
            break;
          }
        }
        break;
      }
    }
    return crc16(key, 0, len) & (REDIS_SLOTS - 1);
  }

  /** The Redis Cluster hash slot of the key spelled as the decimal digits of {@code key}. */
  public static int redisSlot(long key) {
    if (key == Long.MIN_VALUE) {
      return MIN_VALUE_SLOT;
    }
    // digits least significant first into two nibble-packed longs, then CRC from the most significant
    long mag = Math.abs(key);
    long low = 0;
    long high = 0;
    int n = 0;
    do {
      long q = mag / 10;
      long digit = mag - q * 10;
      if (n < 16) {
        low |= digit << (4 * n);
      } else {
        high |= digit << (4 * (n - 16));
      }
      n++;
      mag = q;
    } while (mag != 0);
    int crc = 0;
    if (key < 0) {
      crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ '-') & 0xFF]) & 0xFFFF;
    }
    for (int i = n - 1; i >= 0; i--) {
      int c = '0' + (int) ((i < 16 ? low >>> (4 * i) : high >>> (4 * (i - 16))) & 0xF);
      crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ c) & 0xFF]) & 0xFFFF;
    }
    return crc & (REDIS_SLOTS - 1);
  }

  /**
   * The ketama key hash: the first 4 bytes of MD5(UTF-8 key) as an unsigned little-endian int,
   * exactly spymemcached's {@code DefaultHashAlgorithm.KETAMA_HASH} and libmemcached's ketama.
   */
  public static long ketamaHash(CharSequence key) {
    Checks.requireNonNull(key, "key");
    return md5Point(MD5.get(), key) & 0xFFFFFFFFL;
  }

  /** The ketama key hash of a binary key. */
  public static long ketamaHash(byte[] key) {
    Checks.requireNonNull(key, "key");
    return md5Point(MD5.get(), key, 0, key.length) & 0xFFFFFFFFL;
  }

  /** The ketama key hash of the key spelled as the decimal digits of {@code key}. */
  public static long ketamaHash(long key) {
    Object[] state = MD5.get();
    int n = decimal(state, key);
    return md5Point(state, (byte[]) state[2], 0, n) & 0xFFFFFFFFL;
  }

  /** MD5 of {@code s} as 16 bytes (point placement; not a hot path). */
  static byte[] md5(String s) {
    return ((MessageDigest) MD5.get()[0]).digest(s.getBytes(StandardCharsets.UTF_8));
  }

  private static Object[] newMd5State() {
    try {
      return new Object[] {MessageDigest.getInstance("MD5"), new byte[16], new byte[64]};
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is required of every Java platform", e);
    }
  }

  private static int md5Point(Object[] state, CharSequence key) {
    int len = key.length();
    byte[] buf = (byte[]) state[2];
    if (buf.length < len) {
      buf = new byte[Math.max(len, buf.length * 2)];
      state[2] = buf;
    }
    for (int i = 0; i < len; i++) {
      char c = key.charAt(i);
      if (c >= 0x80) {
        byte[] utf8 = key.toString().getBytes(StandardCharsets.UTF_8);
        return md5Point(state, utf8, 0, utf8.length);
      }
      buf[i] = (byte) c;
    }
    return md5Point(state, buf, 0, len);
  }

  private static int md5Point(Object[] state, byte[] data, int off, int len) {
    MessageDigest md5 = (MessageDigest) state[0];
    byte[] out = (byte[]) state[1];
    md5.update(data, off, len);
    try {
      md5.digest(out, 0, 16);
    } catch (java.security.DigestException e) {
      throw new IllegalStateException(e);
    }
    return (out[0] & 0xFF) | (out[1] & 0xFF) << 8 | (out[2] & 0xFF) << 16 | (out[3] & 0xFF) << 24;
  }

  /** Writes the decimal digits of {@code v} to the key scratch and returns their count. */
  private static int decimal(Object[] state, long v) {
    byte[] buf = (byte[]) state[2]; // at least 64 bytes: room for 20 characters
    if (v == Long.MIN_VALUE) {
      byte[] min = "-9223372036854775808".getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(min, 0, buf, 0, min.length);
      return min.length;
    }
    boolean negative = v < 0;
    long x = negative ? -v : v;
    int digits = 1;
    for (long t = x; t >= 10; t /= 10) {
      digits++;
    }
    int n = digits + (negative ? 1 : 0);
    int p = n - 1;
    do {
      buf[p--] = (byte) ('0' + (x % 10));
      x /= 10;
    } while (x != 0);
    if (negative) {
      buf[0] = '-';
    }
    return n;
  }
}
