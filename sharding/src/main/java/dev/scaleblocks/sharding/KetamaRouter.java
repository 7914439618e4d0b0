package dev.scaleblocks.sharding;

import dev.scaleblocks.core.hash.Hashing;
import java.util.Arrays;
import java.util.List;

/**
 * Ketama ring. Each shard gets {@code 4 × round(pointsPerWeight / 4 × weight)} points; every MD5
 * digest of {@code name + "-" + i} gives 4 points (bytes 4h..4h+3, little-endian), exactly as
 * spymemcached's {@code KetamaNodeLocator} and libmemcached place them. When two shards land on
 * the same point the later shard keeps it, as spymemcached's {@code TreeMap.put} does. A key goes
 * to the first point at or after its hash, wrapping to the first point.
 *
 * <p>Lookup: one key hash plus a binary search over a sorted {@code int[]}; no allocation.
 */
final class KetamaRouter<S> extends AbstractRouter<S> {

  static final int DEFAULT_POINTS = 160;

  private final KeyHash keyHash;
  private final int pointsPerWeight;
  /** Unsigned ring positions, stored with the sign bit flipped so signed order is ring order. */
  final int[] points;
  /** Owning shard index of each point. */
  final int[] owners;
  /** Bits of the ring position that index {@link #bucketStart}. */
  private final int bucketBits;
  /**
   * {@code bucketStart[b]} is the index of the first point whose position's top {@link
   * #bucketBits} bits are {@code >= b}: a lookup searches only its bucket (about four points) instead
   * of the whole ring, which keeps a 160 000-point ring to one or two cache misses.
   */
  private final int[] bucketStart;

  KetamaRouter(List<Shard<S>> shards, KeyHash keyHash, int pointsPerWeight) {
    super(shards);
    this.keyHash = keyHash;
    this.pointsPerWeight = pointsPerWeight;
    int total = 0;
    int[] digests = new int[shards.size()];
    for (int s = 0; s < shards.size(); s++) {
      digests[s] = Math.max(1, (int) Math.round(pointsPerWeight / 4.0 * shards.get(s).weight()));
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
    int[] pts = new int[total];
    int[] own = new int[total];
    for (int i = 0; i < total; i++) {
      int flipped = (int) (entries[i] >> 32);
      int owner = ownerOfSeq[(int) entries[i]];
      if (unique > 0 && pts[unique - 1] == flipped) {
        own[unique - 1] = owner; // the later shard wins the collision
      } else {
        pts[unique] = flipped;
        own[unique] = owner;
        unique++;
      }
    }
    this.points = Arrays.copyOf(pts, unique);
    this.owners = Arrays.copyOf(own, unique);
    int bits = 8;
    while (bits < 20 && (1 << bits) < unique / 4) {
      bits++;
    }
    this.bucketBits = bits;
    this.bucketStart = new int[(1 << bits) + 1];
    int b = 0;
    for (int i = 0; i < unique; i++) {
      int bucket = (points[i] ^ Integer.MIN_VALUE) >>> (32 - bits);
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

  /** Index into {@link #points} of the first point at or after ring position {@code hash}. */
  int pointIndex(long hash) {
    int position = (int) hash;
    int target = position ^ Integer.MIN_VALUE;
    int[] p = points;
    int bucket = position >>> (32 - bucketBits);
    int lo = bucketStart[bucket];
    int hi = bucketStart[bucket + 1];
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (p[mid] < target) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo == p.length ? 0 : lo;
  }

  @Override
  int indexOfHash(long hash) {
    return owners[pointIndex(hash)];
  }

  @Override
  void preferenceOfHash(long hash, int[] out, int n) {
    boolean[] seen = new boolean[shards.size()];
    int found = 0;
    for (int i = pointIndex(hash), visited = 0; found < n && visited < points.length; visited++) {
      int owner = owners[i];
      if (!seen[owner]) {
        seen[owner] = true;
        out[found++] = owner;
      }
      i = i + 1 == points.length ? 0 : i + 1;
    }
    for (int s = 0; found < n; s++) { // shards that lost every point to collisions
      if (!seen[s]) {
        out[found++] = s;
      }
    }
  }

  /** Unsigned ring position of point {@code i}. */
  long position(int i) {
    return (points[i] ^ Integer.MIN_VALUE) & 0xFFFFFFFFL;
  }

  @Override
  ShardRouter<S> rebuild(List<Shard<S>> shards) {
    return new KetamaRouter<>(shards, keyHash, pointsPerWeight);
  }

  @Override
  long tableBytes() {
    return 2L * (16 + 4L * points.length) + 16 + 4L * bucketStart.length;
  }

  @Override
  public Algorithm algorithm() {
    return Algorithm.KETAMA;
  }
}
