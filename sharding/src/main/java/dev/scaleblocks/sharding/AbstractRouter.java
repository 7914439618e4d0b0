package dev.scaleblocks.sharding;

import dev.scaleblocks.core.hash.Hashing;
import dev.scaleblocks.core.internal.Checks;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Shared shape of every router: keys become a 64-bit value ({@link #hash}), which {@link
 * #indexOfHash} maps to a shard index. Subclasses are immutable.
 */
abstract class AbstractRouter<S> implements ShardRouter<S> {

  final List<Shard<S>> shards;
  final Object[] handles;
  final Map<String, Integer> indexByName;

  AbstractRouter(List<Shard<S>> shards) {
    this.shards = List.copyOf(shards);
    this.handles = new Object[shards.size()];
    this.indexByName = new HashMap<>();
    for (int i = 0; i < shards.size(); i++) {
      handles[i] = shards.get(i).handle();
      Integer previous = indexByName.put(shards.get(i).name(), i);
      Checks.requireArgument(
          previous == null, "duplicate shard name '%s'", shards.get(i).name());
    }
  }

  /** The routing value of a String key. */
  long hash(String key) {
    return Hashing.xxHash64(key);
  }

  long hash(byte[] key) {
    return Hashing.xxHash64(key);
  }

  long hash(long key) {
    return Hashing.xxHash64(key);
  }

  abstract int indexOfHash(long hash);

  /** Fills {@code out[0..n)} with n distinct shard indexes, the owner first. */
  abstract void preferenceOfHash(long hash, int[] out, int n);

  @SuppressWarnings("unchecked")
  final S handle(int index) {
    return (S) handles[index];
  }

  @Override
  public final S route(String key) {
    Checks.requireNonNull(key, "key");
    return handle(indexOfHash(hash(key)));
  }

  @Override
  public final S route(byte[] key) {
    Checks.requireNonNull(key, "key");
    return handle(indexOfHash(hash(key)));
  }

  @Override
  public final S route(long key) {
    return handle(indexOfHash(hash(key)));
  }

  @Override
  public final List<S> route(String key, int n) {
    Checks.requireNonNull(key, "key");
    return preference(hash(key), n);
  }

  @Override
  public final List<S> route(byte[] key, int n) {
    Checks.requireNonNull(key, "key");
    return preference(hash(key), n);
  }

  @Override
  public final List<S> route(long key, int n) {
    return preference(hash(key), n);
  }

  private List<S> preference(long hash, int n) {
    Checks.requireArgument(
        n >= 1 && n <= shards.size(), "n must be in [1, %s] but was %s", shards.size(), n);
    int[] out = new int[n];
    preferenceOfHash(hash, out, n);
    List<S> result = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      result.add(handle(out[i]));
    }
    return List.copyOf(result);
  }

  @Override
  public final Shard<S> shardFor(String key) {
    Checks.requireNonNull(key, "key");
    return shards.get(indexOfHash(hash(key)));
  }

  @Override
  public final Shard<S> shardFor(byte[] key) {
    Checks.requireNonNull(key, "key");
    return shards.get(indexOfHash(hash(key)));
  }

  @Override
  public final Shard<S> shardFor(long key) {
    return shards.get(indexOfHash(hash(key)));
  }

  @Override
  public final List<Shard<S>> shards() {
    return shards;
  }

  @Override
  public ShardRouter<S> withShard(String name, S handle, double weight) {
    return rebuild(shardsWith(name, handle, weight));
  }

  /** The shards with {@code name} replaced in place, or added last when it is new. */
  final List<Shard<S>> shardsWith(String name, S handle, double weight) {
    Shard<S> added = new Shard<>(name, handle, weight);
    List<Shard<S>> next = new ArrayList<>(shards);
    Integer existing = indexByName.get(name);
    if (existing != null) {
      next.set(existing, added);
    } else {
      next.add(added);
    }
    return next;
  }

  @Override
  public ShardRouter<S> withoutShard(String name) {
    int index = requireIndex(name);
    Checks.requireArgument(shards.size() > 1, "cannot remove '%s', the only shard", name);
    List<Shard<S>> next = new ArrayList<>(shards);
    next.remove(index);
    return rebuild(next);
  }

  final int requireIndex(String name) {
    Checks.requireNonNull(name, "name");
    Integer index = indexByName.get(name);
    Checks.requireArgument(index != null, "no shard named '%s' in %s", name, indexByName.keySet());
    return index;
  }

  /** A router of the same algorithm and options over {@code shards}. */
  abstract ShardRouter<S> rebuild(List<Shard<S>> shards);

  /** Rough retained size in bytes of the routing tables (not counting handles). */
  abstract long tableBytes();

  @Override
  public String toString() {
    return getClass().getSimpleName() + indexByName.keySet();
  }
}
