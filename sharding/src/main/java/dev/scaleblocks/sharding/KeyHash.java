package dev.scaleblocks.sharding;

/**
 * How a ketama ring turns a key into a point on the ring. Point placement (which part of the ring
 * each shard owns) is the same in both modes; only the key hash differs.
 */
public enum KeyHash {
  /**
   * The first 4 bytes of MD5(UTF-8 key), little-endian, as libmemcached and spymemcached's
   * {@code KETAMA_HASH}: a memcached client and this router then send a key to the same server.
   * A 32-char String route costs about 2.5× the {@link #XXHASH64} one; still allocation-free for ASCII keys.
   */
  KETAMA_MD5,
  /** The high 32 bits of xxHash64(UTF-8 key): the fast mode, for rings that need not match memcached. */
  XXHASH64
}
