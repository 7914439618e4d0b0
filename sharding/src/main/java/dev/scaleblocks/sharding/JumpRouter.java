package dev.scaleblocks.sharding;

import dev.scaleblocks.core.internal.Checks;
import java.util.List;

/**
 * Jump consistent hash over the shards in order (bucket i = the i-th shard). Buckets are
 * append-only: {@link #withoutShard} accepts only the last shard. No table; O(log n) per lookup.
 */
final class JumpRouter<S> extends AbstractRouter<S> {

  JumpRouter(List<Shard<S>> shards) {
    super(shards);
  }

  @Override
  int indexOfHash(long hash) {
    return ShardHashes.jump(hash, handles.length);
  }

  @Override
  void preferenceOfHash(long hash, int[] out, int n) {
    int buckets = handles.length;
    boolean[] seen = new boolean[buckets];
    int found = 0;
    long h = hash;
    for (int attempt = 0; found < n && attempt < 32 * buckets; attempt++) {
      int b = ShardHashes.jump(h, buckets);
      if (!seen[b]) {
        seen[b] = true;
        out[found++] = b;
      }
      h = RendezvousRouter.mix(h + 0x9E3779B97F4A7C15L);
    }
    for (int b = 0; found < n; b++) {
      if (!seen[b]) {
        out[found++] = b;
      }
    }
  }

  @Override
  public ShardRouter<S> withShard(String name, S handle, double weight) {
    Checks.requireArgument(
        weight == 1.0,
        "jump consistent hash has no weights: weight of shard '%s' must be 1 but was %s",
        name,
        weight);
    return super.withShard(name, handle, weight);
  }

  @Override
  public ShardRouter<S> withoutShard(String name) {
    int index = requireIndex(name);
    Checks.requireArgument(
        index == shards.size() - 1,
        "jump consistent hash can only remove the last shard ('%s'), not '%s'; use rendezvous,"
            + " ketama or maglev to remove any shard",
        shards.get(shards.size() - 1).name(),
        name);
    return super.withoutShard(name);
  }

  @Override
  ShardRouter<S> rebuild(List<Shard<S>> shards) {
    return new JumpRouter<>(shards);
  }

  @Override
  long tableBytes() {
    return 0;
  }

  @Override
  public Algorithm algorithm() {
    return Algorithm.JUMP;
  }
}
