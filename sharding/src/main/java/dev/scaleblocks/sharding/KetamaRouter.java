package dev.scaleblocks.sharding;

import dev.scaleblocks.core.hash.Hashing;
import java.util.Arrays;
import java.util.List;

/**
 * Ketama ring. Each shard gets {@code 4 × round(pointsPerWeight / 4 × weight)} points (at least
 * 4); every MD5 digest of {@code name + "-" + i} gives 4 points (bytes 4h..4h+3, little-endian), as
 * spymemcached's {@code KetamaNodeLocator} places them. When two shards land on the same point the
 * later shard keeps it, as spymemcached's {@code TreeMap.put} does. A key goes to the first point
 * at or after its hash, wrapping to the first point.
 *
 * <p>Compatibility: with unit weights and 160 points per weight the ring is exactly
 * spymemcached's (tested key by key). It is <em>not</em> libmemcached's: libmemcached computes the
 * points per server in float arithmetic ({@code floor(1/n × 40 × n) × 4}, 156 instead of 160 at
 * 25, 47, 50, 55, 61, 71, 94, 100, ... servers), names a server {@code host} when its port is 11211
 * and {@code host:port} otherwise, and weighs servers by {@code floor(w / Σw × 40 × n)}; this ring
 * rounds {@code 40 × w} per shard, which keeps adding a shard monotone.
 *
 * <p>The ring holds at most {@link #MAX_POINTS} points in total; weights that would need more are
 * refused when the router is built.
 *
 * <p>Lookup: one key hash, one read of a bucket table and a short forward scan of the ring (about
 * one point); no allocation. The ring is one sorted {@code long[]} holding each point's position
 * and owner together, so the point found and its owner are one read: with 160 000 points the
 * tables (2 MB) are read at two places per lookup. A binary search over a few points per bucket
 * cost a mispredicted branch per step on random keys, and separate position and owner arrays a
 * second cache miss.
 */
final class KetamaRouter<S> extends AbstractRouter<S> {

  static final int DEFAULT_POINTS = 160;

  /**
   * The most points a ring may hold: 2^20 (1 048 576), e.g. 6 553 shards of weight 1 at 160
   * points. Building the ring takes about 28 bytes and 2 µs per point (about 2 s at the bound).
   */
  static final int MAX_POINTS = 1 << 20;

  private final KeyHash keyHash;
  private final int pointsPerWeight;
  /**
   * The points in ring order: the unsigned ring position with its sign bit flipped (so that signed
   * order is ring order) in the high 32 bits, the owning shard's index in the low 32 bits.
   */
  final long[] ring;
  /** Bits of the ring position that index {@link #bucketStart}. */
  private final int bucketBits;
  /**
   * {@code bucketStart[b]} is the index of the first point whose position's top {@link
   * #bucketBits} bits are {@code >= b}: a lookup scans only its bucket (about one point) instead
   * of searching the whole ring.
   */
  private final int[] bucketStart;

  KetamaRouter(List<Shard<S>> shards, KeyHash keyHash, int pointsPerWeight) {
    super(shards);
    this.keyHash = keyHash;
    this.pointsPerWeight = pointsPerWeight;
    int total = 0;
    int[] digests = new int[shards.size()];
    for (int s = 0; s < shards.size(); s++) {
      double weight = shards.get(s).weight();
      double d = Math.max(1, Math.floor(pointsPerWeight / 4.0 * weight + 0.5)); // Math.round, without its long cap
      if (total + 4 * d > MAX_POINTS) {
        throw new IllegalArgumentException(
            "weight of shard '"
                + shards.get(s).name()
                + "' is too large: the ketama ring would need more than "
                + MAX_POINTS
                + " points (weight "
                + weight
                + " × "
                + pointsPerWeight
                + " points per weight, "
                + total
                + " points before it); lower the weights or pointsPerWeight");
      }
      digests[s] = (int) d;
      total += digests[s] * 4;
    }
    // high 32 bits: flipped position; low 32 bits: insertion sequence (later wins on ties)
    long[] entries = new long[total];
    int seq = 0;
    int[] ownerOfSeq = new int[total];
    for (int s = 0; s < shards.size(); s++) {
      String name = shards.get(s).name();
      for (int i = 0; i < digests[s]; i++) {
        byte[] d = ShardHashes.md5(name + "-" + i);
        for (int h = 0; h < 4; h++) {
          int point =
              (d[3 + h * 4] & 0xFF) << 24
                  | (d[2 + h * 4] & 0xFF) << 16
                  | (d[1 + h * 4] & 0xFF) << 8
                  | (d[h * 4] & 0xFF);
          ownerOfSeq[seq] = s;
          entries[seq] = ((long) (point ^ Integer.MIN_VALUE) << 32) | seq;
          seq++;
        }
      }
    }
    Arrays.sort(entries);
    int unique = 0;
    long[] pts = new long[total];
    for (int i = 0; i < total; i++) {
      long flipped = entries[i] & 0xFFFF_FFFF_0000_0000L;
      long owner = ownerOfSeq[(int) entries[i]];
      if (unique > 0 && (pts[unique - 1] & 0xFFFF_FFFF_0000_0000L) == flipped) {
        pts[unique - 1] = flipped | owner; // the later shard wins the collision
      } else {
        pts[unique++] = flipped | owner;
      }
    }
    this.ring = Arrays.copyOf(pts, unique);
    int bits = 8;
    // one or two points per bucket: 128 Ki buckets (512 KB) for 1 000 shards × 160 points
    while (bits < 20 && (1 << bits) < unique / 2) {
      bits++;
    }
    this.bucketBits = bits;
    this.bucketStart = new int[(1 << bits) + 1];
    int b = 0;
    for (int i = 0; i < unique; i++) {
      int bucket = ((int) (ring[i] >> 32) ^ Integer.MIN_VALUE) >>> (32 - bits);
      while (b <= bucket) {
        bucketStart[b++] = i;
      }
    }
    while (b <= 1 << bits) {
      bucketStart[b++] = unique;
    }
  }

  @Override
  long hash(String key) {
    return keyHash == KeyHash.KETAMA_MD5 ? ShardHashes.ketamaHash(key) : Hashing.xxHash64(key) >>> 32;
  }

  @Override
  long hash(byte[] key) {
    return keyHash == KeyHash.KETAMA_MD5 ? ShardHashes.ketamaHash(key) : Hashing.xxHash64(key) >>> 32;
  }

  @Override
  long hash(long key) {
    return keyHash == KeyHash.KETAMA_MD5 ? ShardHashes.ketamaHash(key) : Hashing.xxHash64(key) >>> 32;
  }

  /** Index into {@link #ring} of the first point at or after ring position {@code hash}. */
  int pointIndex(long hash) {
    int position = (int) hash;
    // every point at this position or after it compares >= target, whatever its owner
    long target = (long) (position ^ Integer.MIN_VALUE) << 32;
    long[] r = ring;
    int i = bucketStart[position >>> (32 - bucketBits)];
    // stops at the next bucket's first point at the latest: its position is above this one
    while (i < r.length && r[i] < target) {
      i++;
    }
    return i == r.length ? 0 : i;
  }

  /** The shard index owning point {@code i}. */
  int owner(int i) {
    return (int) ring[i];
  }

  /** Points on the ring (after collisions). */
  int size() {
    return ring.length;
  }

  @Override
  int indexOfHash(long hash) {
    return owner(pointIndex(hash));
  }

  @Override
  void preferenceOfHash(long hash, int[] out, int n) {
    boolean[] seen = new boolean[shards.size()];
    int found = 0;
    for (int i = pointIndex(hash), visited = 0; found < n && visited < ring.length; visited++) {
      int owner = owner(i);
      if (!seen[owner]) {
        seen[owner] = true;
        out[found++] = owner;
      }
      i = i + 1 == ring.length ? 0 : i + 1;
    }
    for (int s = 0; found < n; s++) { // shards that lost every point to collisions
      if (!seen[s]) {
        out[found++] = s;
      }
    }
  }

  /** Unsigned ring position of point {@code i}. */
  long position(int i) {
    return ((int) (ring[i] >> 32) ^ Integer.MIN_VALUE) & 0xFFFFFFFFL;
  }

  @Override
  ShardRouter<S> rebuild(List<Shard<S>> shards) {
    return new KetamaRouter<>(shards, keyHash, pointsPerWeight);
  }

  @Override
  long tableBytes() {
    return 16 + 8L * ring.length + 16 + 4L * bucketStart.length;
  }

  @Override
  public Algorithm algorithm() {
    return Algorithm.KETAMA;
  }
}
