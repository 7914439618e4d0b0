package dev.scaleblocks.sharding;

import dev.scaleblocks.core.internal.Checks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Redis Cluster hash slots: {@code CRC16(key) & 16383} honouring {@code {hash tags}}, then a
 * 16384-entry slot → shard map. Adding, removing or re-weighting a shard moves the fewest slots
 * that bring every shard to its weight-proportional share, and only slots of shards above their
 * share (or of the removed shard). O(key length) per lookup, no allocation.
 */
final class HashSlotRouter<S> extends AbstractRouter<S> {

  static final int SLOTS = ShardHashes.REDIS_SLOTS;

  /** Owning shard index per slot. */
  final short[] owners;

  private HashSlotRouter(List<Shard<S>> shards, short[] owners) {
    super(shards);
    this.owners = owners;
  }

  static <S> HashSlotRouter<S> create(
      List<Shard<S>> shards, List<String> rangeOwners, List<int[]> ranges) {
    Checks.requireArgument(
        shards.size() <= SLOTS, "hash slots support at most %s shards but got %s", SLOTS, shards.size());
    short[] owners = new short[SLOTS];
    if (ranges.isEmpty()) {
      // redis-cli --cluster create, generalised to weights: contiguous ranges, float cursor
      double total = 0;
      for (Shard<S> s : shards) {
        total += s.weight();
      }
      long first = 0;
      float cursor = 0f;
      for (int j = 0; j < shards.size(); j++) {
        float slotsPerNode =
            allEqual(shards)
                ? SLOTS / (float) shards.size()
                : (float) (SLOTS * (shards.get(j).weight() / total));
        long last = Math.round(cursor + slotsPerNode - 1);
        if (last > SLOTS || j == shards.size() - 1) {
          last = SLOTS - 1;
        }
        if (last < first) {
          last = first;
        }
        for (long slot = first; slot <= last && slot < SLOTS; slot++) {
          owners[(int) slot] = (short) j;
        }
        first = last + 1;
        cursor += slotsPerNode;
      }
      return new HashSlotRouter<>(shards, owners);
    }
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < shards.size(); i++) {
      index.put(shards.get(i).name(), i);
    }
    Arrays.fill(owners, (short) -1);
    for (int r = 0; r < ranges.size(); r++) {
      Integer owner = index.get(rangeOwners.get(r));
      Checks.requireArgument(
          owner != null, "slots assigned to unknown shard '%s'", rangeOwners.get(r));
      for (int slot = ranges.get(r)[0]; slot <= ranges.get(r)[1]; slot++) {
        Checks.requireArgument(
            owners[slot] < 0, "slot %s is assigned twice ('%s' and '%s')", slot,
            owners[slot] < 0 ? "" : shards.get(owners[slot]).name(), rangeOwners.get(r));
        owners[slot] = (short) (int) owner;
      }
    }
    for (int slot = 0; slot < SLOTS; slot++) {
      Checks.requireArgument(owners[slot] >= 0, "slot %s is not assigned to any shard", slot);
    }
    return new HashSlotRouter<>(shards, owners);
  }

  private static boolean allEqual(List<? extends Shard<?>> shards) {
    for (Shard<?> s : shards) {
      if (s.weight() != shards.get(0).weight()) {
        return false;
      }
    }
    return true;
  }

  @Override
  long hash(String key) {
    return ShardHashes.redisSlot(key);
  }

  @Override
  long hash(byte[] key) {
    return ShardHashes.redisSlot(key);
  }

  @Override
  long hash(long key) {
    return ShardHashes.redisSlot(key);
  }

  @Override
  int indexOfHash(long slot) {
    return owners[(int) slot];
  }

  @Override
  void preferenceOfHash(long slot, int[] out, int n) {
    boolean[] seen = new boolean[shards.size()];
    int found = 0;
    for (int i = (int) slot, visited = 0; found < n && visited < SLOTS; visited++) {
      int owner = owners[i];
      if (!seen[owner]) {
        seen[owner] = true;
        out[found++] = owner;
      }
      i = (i + 1) & (SLOTS - 1);
    }
    for (int s = 0; found < n; s++) {
      if (!seen[s]) {
        out[found++] = s;
      }
    }
  }

  /** The shard name owning {@code slot}. */
  String ownerName(int slot) {
    return shards.get(owners[slot]).name();
  }

  @Override
  public ShardRouter<S> withShard(String name, S handle, double weight) {
    Checks.requireArgument(
        indexByName.containsKey(name) || shards.size() < SLOTS, "hash slots support at most %s shards", SLOTS);
    return rebalanced(shardsWith(name, handle, weight), owners.clone());
  }

  @Override
  public ShardRouter<S> withoutShard(String name) {
    int victim = requireIndex(name);
    Checks.requireArgument(shards.size() > 1, "cannot remove '%s', the only shard", name);
    List<Shard<S>> next = new ArrayList<>(shards);
    next.remove(victim);
    short[] mapped = new short[SLOTS];
    for (int slot = 0; slot < SLOTS; slot++) {
      int o = owners[slot];
      mapped[slot] = (short) (o == victim ? -1 : o > victim ? o - 1 : o);
    }
    return rebalanced(next, mapped);
  }

  /**
   * Gives unowned slots (-1) and the surplus of shards above their weight-proportional target to
   * shards below it; no other slot moves.
   */
  private static <S> HashSlotRouter<S> rebalanced(List<Shard<S>> shards, short[] owners) {
    int n = shards.size();
    int[] count = new int[n];
    for (short o : owners) {
      if (o >= 0) {
        count[o]++;
      }
    }
    int[] target = targets(shards, count);
    int receiver = 0;
    // first the orphaned slots, then the surplus of over-target shards
    for (int pass = 0; pass < 2; pass++) {
      for (int slot = 0; slot < SLOTS; slot++) {
        int o = owners[slot];
        boolean move = pass == 0 ? o < 0 : o >= 0 && count[o] > target[o];
        if (!move) {
          continue;
        }
        while (receiver < n && count[receiver] >= target[receiver]) {
          receiver++;
        }
        if (receiver == n) {
          // cannot happen: the targets add up to SLOTS, so a surplus or orphan implies a deficit
          throw new AssertionError("no shard below its slot target");
        }
        if (o >= 0) {
          count[o]--;
        }
        owners[slot] = (short) receiver;
        count[receiver]++;
      }
    }
    return new HashSlotRouter<>(shards, owners);
  }

  /**
   * Apportions 16384 slots by weight: each shard gets the floor of its exact share, and the
   * leftover slots go first to shards that already hold more than their floor (so nothing moves
   * for rounding), then by largest remainder.
   */
  static int[] targets(List<? extends Shard<?>> shards, int[] current) {
    int n = shards.size();
    double total = 0;
    for (Shard<?> s : shards) {
      total += s.weight();
    }
    int[] target = new int[n];
    double[] remainder = new double[n];
    int assigned = 0;
    for (int i = 0; i < n; i++) {
      double exact = SLOTS * shards.get(i).weight() / total;
      target[i] = (int) Math.floor(exact);
      remainder[i] = exact - target[i];
      assigned += target[i];
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(
        order,
        (x, y) -> {
          boolean xAbove = current[x] > target[x];
          boolean yAbove = current[y] > target[y];
          if (xAbove != yAbove) {
            return xAbove ? -1 : 1;
          }
          return Double.compare(remainder[y], remainder[x]);
        });
    for (int k = 0; assigned < SLOTS; k = (k + 1) % n) {
      target[order[k]]++;
      assigned++;
    }
    return target;
  }

  @Override
  ShardRouter<S> rebuild(List<Shard<S>> shards) {
    throw new AssertionError("hash slots rebalance instead of rebuilding");
  }

  @Override
  long tableBytes() {
    return 16 + 2L * SLOTS;
  }

  @Override
  public Algorithm algorithm() {
    return Algorithm.HASH_SLOTS;
  }
}
