package dev.scaleblocks.sharding;

import dev.scaleblocks.core.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Maglev (Eisenbud et al., NSDI 2016). Each shard walks its own permutation of a prime-sized
 * table ({@code offset + j × skip mod M}, both from xxHash64 of its name) and claims free entries
 * in turn; a shard of weight w takes w / max-weight turns per round. Lookup is one multiply and one
 * array read: O(1), no allocation. Table of {@code M} ints.
 */
final class MaglevRouter<S> extends AbstractRouter<S> {

  static final int DEFAULT_TABLE = 65_537;
  static final int MAX_TABLE = 1 << 26;

  private final int minTableSize;
  final int[] table;

  MaglevRouter(List<Shard<S>> shards, int minTableSize) {
    super(shards);
    this.minTableSize = minTableSize;
    int m = tableSizeFor(minTableSize, shards.size());
    int n = shards.size();
    long[] offset = new long[n];
    long[] skip = new long[n];
    long[] next = new long[n];
    double[] credit = new double[n];
    double maxWeight = 0;
    for (int i = 0; i < n; i++) {
      byte[] name = shards.get(i).name().getBytes(StandardCharsets.UTF_8);
      offset[i] = Long.remainderUnsigned(Hashing.xxHash64(name, 0, name.length, 0x6D61676CL), m);
      skip[i] = Long.remainderUnsigned(Hashing.xxHash64(name, 0, name.length, 0x736B6970L), m - 1) + 1;
      maxWeight = Math.max(maxWeight, shards.get(i).weight());
    }
    int[] t = new int[m];
    java.util.Arrays.fill(t, -1);
    int filled = 0;
    while (filled < m) {
      for (int i = 0; i < n && filled < m; i++) {
        credit[i] += shards.get(i).weight() / maxWeight;
        while (credit[i] >= 1 && filled < m) {
          credit[i] -= 1;
          int c = (int) ((offset[i] + next[i] * skip[i]) % m);
          while (t[c] >= 0) {
            next[i]++;
            c = (int) ((offset[i] + next[i] * skip[i]) % m);
          }
          t[c] = i;
          next[i]++;
          filled++;
        }
      }
    }
    this.table = t;
  }

  /**
   * The smallest prime at least {@code max(minTableSize, 100 × 2^ceil(log2 shards))}: at least 100
   * entries per shard, and a size that changes (remapping most keys) only when the shard count
   * crosses a power of two beyond {@code minTableSize / 100}.
   */
  static int tableSizeFor(int minTableSize, int shards) {
    long powerOfTwo = shards <= 1 ? 1 : Integer.highestOneBit(shards - 1) << 1;
    return nextPrime((int) Math.min(MAX_TABLE, Math.max(minTableSize, 100 * powerOfTwo)));
  }

  static int nextPrime(int from) {
    for (int candidate = Math.max(2, from); ; candidate++) {
      if (isPrime(candidate)) {
        return candidate;
      }
    }
  }

  private static boolean isPrime(int x) {
    if (x < 2) {
      return false;
    }
    if (x % 2 == 0) {
      return x == 2;
    }
    for (int d = 3; (long) d * d <= x; d += 2) {
      if (x % d == 0) {
        return false;
      }
    }
    return true;
  }

  int entry(long hash) {
    return (int) (((hash >>> 32) * table.length) >>> 32);
  }

  @Override
  int indexOfHash(long hash) {
    return table[entry(hash)];
  }

  @Override
  void preferenceOfHash(long hash, int[] out, int n) {
    boolean[] seen = new boolean[shards.size()];
    int found = 0;
    int m = table.length;
    for (int i = entry(hash), visited = 0; found < n && visited < m; visited++) {
      int owner = table[i];
      if (!seen[owner]) {
        seen[owner] = true;
        out[found++] = owner;
      }
      i = i + 1 == m ? 0 : i + 1;
    }
    for (int s = 0; found < n; s++) {
      if (!seen[s]) {
        out[found++] = s;
      }
    }
  }

  @Override
  ShardRouter<S> rebuild(List<Shard<S>> shards) {
    return new MaglevRouter<>(shards, minTableSize);
  }

  @Override
  long tableBytes() {
    return 16 + 4L * table.length;
  }

  @Override
  public Algorithm algorithm() {
    return Algorithm.MAGLEV;
  }
}
