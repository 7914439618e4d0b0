package dev.scaleblocks.sharding;

import dev.scaleblocks.core.hash.Hashing;
import java.util.List;

/**
 * Weighted rendezvous (highest random weight). Each shard scores {@code weight / -ln(u)} with
 * {@code u} a uniform (0,1) hash of (key, shard); the highest score wins. With equal weights the
 * raw 64-bit hash is compared instead. Any shard can be removed, moving only its keys. O(shards)
 * per lookup, no table.
 */
final class RendezvousRouter<S> extends AbstractRouter<S> {

  private final long[] seeds;
  private final double[] weights;
  private final boolean weighted;

  RendezvousRouter(List<Shard<S>> shards) {
    super(shards);
    seeds = new long[shards.size()];
    weights = new double[shards.size()];
    boolean anyDifferent = false;
    for (int i = 0; i < seeds.length; i++) {
      seeds[i] = Hashing.xxHash64(shards.get(i).name());
      weights[i] = shards.get(i).weight();
      anyDifferent |= weights[i] != weights[0];
    }
    weighted = anyDifferent;
  }

  /** The SplitMix64 / Murmur3 finaliser. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private double score(long hash, int i) {
    long x = mix(hash ^ seeds[i]);
    if (!weighted) {
      return 0;
    }
    double u = ((x >>> 11) + 0.5) * 0x1.0p-53;
    return weights[i] / -Math.log(u);
  }

  @Override
  int indexOfHash(long hash) {
    int best = 0;
    if (!weighted) {
      long bestX = mix(hash ^ seeds[0]);
      for (int i = 1; i < seeds.length; i++) {
        long x = mix(hash ^ seeds[i]);
        if (Long.compareUnsigned(x, bestX) > 0) {
          bestX = x;
          best = i;
        }
      }
      return best;
    }
    double bestScore = score(hash, 0);
    for (int i = 1; i < seeds.length; i++) {
      double s = score(hash, i);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    return best;
  }

  @Override
  void preferenceOfHash(long hash, int[] out, int n) {
    int count = seeds.length;
    long[] raw = new long[count];
    double[] scores = new double[count];
    for (int i = 0; i < count; i++) {
      raw[i] = mix(hash ^ seeds[i]);
      scores[i] = weighted ? score(hash, i) : 0;
    }
    boolean[] taken = new boolean[count];
    for (int k = 0; k < n; k++) {
      int best = -1;
      for (int i = 0; i < count; i++) {
        if (taken[i]) {
          continue;
        }
        if (best < 0
            || (weighted ? scores[i] > scores[best] : Long.compareUnsigned(raw[i], raw[best]) > 0)) {
          best = i;
        }
      }
      taken[best] = true;
      out[k] = best;
    }
  }

  @Override
  ShardRouter<S> rebuild(List<Shard<S>> shards) {
    return new RendezvousRouter<>(shards);
  }

  @Override
  long tableBytes() {
    return 2L * (16 + 8L * seeds.length);
  }

  @Override
  public Algorithm algorithm() {
    return Algorithm.RENDEZVOUS;
  }
}
