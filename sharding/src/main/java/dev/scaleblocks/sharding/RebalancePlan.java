package dev.scaleblocks.sharding;

import dev.scaleblocks.core.internal.Checks;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What changes between two routers: which part of the key space moves from which shard to which,
 * the fraction of keys that moves, and the ideal (the least any algorithm could move given the
 * shards' weight shares).
 *
 * <p>Exact where the key space is finite: two ketama rings with the same key hash (ranges of ring
 * positions), two hash-slot routers (slot ranges), two Maglev routers with the same table size
 * (table entry ranges). Otherwise (jump, rendezvous, mixed algorithms) the fraction is estimated
 * from sampled keys. Either way {@link #moves(String)} / {@link #keysToMove(Iterable)} give the
 * exact answer for real keys, which is what a migration needs:
 *
 * {@snippet :
 * RebalancePlan plan = RebalancePlan.between(oldRouter, newRouter);
 * for (RebalancePlan.KeyMove m : plan.keysToMove(allCustomerIds)) {
 *   copy(m.key(), m.from(), m.to());
 * }
 * }
 *
 * <p>Immutable and thread-safe. Building costs O(points) for rings, O(16384) for slots, O(table)
 * for Maglev, O(sample × lookup) otherwise.
 */
public final class RebalancePlan {

  /** Default number of sampled keys when the plan cannot be exact. */
  public static final int DEFAULT_SAMPLE = 200_000;

  /** Largest sample {@link #between(ShardRouter, ShardRouter, int)} accepts: 10^7 keys. */
  public static final int MAX_SAMPLE = 10_000_000;

  /** How the plan was computed, and what its {@link Range}s count. */
  public enum Method {
    /** Ranges of unsigned 32-bit ketama ring positions, [start, end). Exact. */
    RING_RANGES,
    /** Ranges of Redis Cluster hash slots, [start, end). Exact. */
    SLOT_RANGES,
    /** Ranges of Maglev lookup-table entries, [start, end). Exact. */
    TABLE_ENTRIES,
    /** Sampled uniformly random keys; no ranges. An estimate. */
    SAMPLED_KEYS
  }

  /** A half-open range [start, end) of the plan's key space (see {@link Method}). */
  public record Range(long start, long end) {
    /** Number of positions in the range. */
    public long size() {
      return end - start;
    }
  }

  /**
   * Keys moving from shard {@code from} to shard {@code to}: {@code fraction} of all keys, in
   * {@code ranges} (empty for {@link Method#SAMPLED_KEYS}).
   */
  public record Move(String from, String to, double fraction, List<Range> ranges) {}

  /** One real key that moves. */
  public record KeyMove<K>(K key, String from, String to) {}

  private final ShardRouter<?> before;
  private final ShardRouter<?> after;
  private final Method method;
  private final List<Move> moves;
  private final double movedFraction;
  private final double idealFraction;

  private RebalancePlan(
      ShardRouter<?> before, ShardRouter<?> after, Method method, List<Move> moves, double ideal) {
    this.before = before;
    this.after = after;
    this.method = method;
    this.moves = List.copyOf(moves);
    double moved = 0;
    for (Move m : moves) {
      moved += m.fraction();
    }
    this.movedFraction = moved;
    this.idealFraction = ideal;
  }

  /** The plan from {@code before} to {@code after}, sampling {@value #DEFAULT_SAMPLE} keys if needed. */
  public static RebalancePlan between(ShardRouter<?> before, ShardRouter<?> after) {
    return between(before, after, DEFAULT_SAMPLE);
  }

  /**
   * The plan from {@code before} to {@code after}, sampling {@code sampleSize} keys (1 to {@value
   * #MAX_SAMPLE}) if needed.
   */
  public static RebalancePlan between(ShardRouter<?> before, ShardRouter<?> after, int sampleSize) {
    Checks.requireNonNull(before, "before");
    Checks.requireNonNull(after, "after");
    Checks.requireInRange(sampleSize, 1, MAX_SAMPLE, "sampleSize");
    double ideal = ideal(before, after);
    if (before instanceof KetamaRouter && after instanceof KetamaRouter
        && sameKeyHash((KetamaRouter<?>) before, (KetamaRouter<?>) after)) {
      return ring((KetamaRouter<?>) before, (KetamaRouter<?>) after, ideal);
    }
    if (before instanceof HashSlotRouter && after instanceof HashSlotRouter) {
      HashSlotRouter<?> b = (HashSlotRouter<?>) before;
      HashSlotRouter<?> a = (HashSlotRouter<?>) after;
      return indexed(b, a, Method.SLOT_RANGES, HashSlotRouter.SLOTS,
          i -> b.ownerName(i), i -> a.ownerName(i), ideal);
    }
    if (before instanceof MaglevRouter && after instanceof MaglevRouter
        && ((MaglevRouter<?>) before).table.length == ((MaglevRouter<?>) after).table.length) {
      MaglevRouter<?> b = (MaglevRouter<?>) before;
      MaglevRouter<?> a = (MaglevRouter<?>) after;
      return indexed(b, a, Method.TABLE_ENTRIES, b.table.length,
          i -> b.shards().get(b.table[i]).name(), i -> a.shards().get(a.table[i]).name(), ideal);
    }
    return sampled(before, after, sampleSize, ideal);
  }

  private static boolean sameKeyHash(KetamaRouter<?> a, KetamaRouter<?> b) {
    return a.hash("scaleblocks") == b.hash("scaleblocks") && a.hash(42L) == b.hash(42L);
  }

  /** The least fraction any router must move: the sum of the shares that shards gain. */
  private static double ideal(ShardRouter<?> before, ShardRouter<?> after) {
    Map<String, Double> b = shares(before);
    Map<String, Double> a = shares(after);
    double gained = 0;
    for (Map.Entry<String, Double> e : a.entrySet()) {
      gained += Math.max(0, e.getValue() - b.getOrDefault(e.getKey(), 0.0));
    }
    return gained;
  }

  private static Map<String, Double> shares(ShardRouter<?> router) {
    double total = 0;
    for (Shard<?> s : router.shards()) {
      total += s.weight();
    }
    Map<String, Double> shares = new HashMap<>();
    for (Shard<?> s : router.shards()) {
      shares.put(s.name(), s.weight() / total);
    }
    return shares;
  }

  private static RebalancePlan ring(KetamaRouter<?> b, KetamaRouter<?> a, double ideal) {
    long[] bounds = new long[b.size() + a.size()];
    int k = 0;
    for (int i = 0; i < b.size(); i++) {
      bounds[k++] = b.position(i);
    }
    for (int i = 0; i < a.size(); i++) {
      bounds[k++] = a.position(i);
    }
    java.util.Arrays.sort(bounds);
    Map<String, MoveBuilder> moves = new LinkedHashMap<>();
    long previous = -1; // arc (previous, bound]
    for (int i = 0; i < bounds.length; i++) {
      long bound = bounds[i];
      if (bound == previous) {
        continue;
      }
      addIfMoved(moves, b, a, bound, previous + 1, bound + 1);
      previous = bound;
    }
    // the wrap-around arc (last, 2^32) is owned by whoever owns position 0's successor
    if (previous < 0xFFFFFFFFL) {
      addIfMoved(moves, b, a, previous + 1, previous + 1, 1L << 32);
    }
    return new RebalancePlan(b, a, Method.RING_RANGES, finish(moves, 1L << 32), ideal);
  }

  private static void addIfMoved(
      Map<String, MoveBuilder> moves, KetamaRouter<?> b, KetamaRouter<?> a, long probe,
      long start, long end) {
    String from = b.shards().get(b.indexOfHash(probe)).name();
    String to = a.shards().get(a.indexOfHash(probe)).name();
    if (!from.equals(to)) {
      moves.computeIfAbsent(from + "\u0000" + to, x -> new MoveBuilder(from, to)).add(start, end);
    }
  }

  private static RebalancePlan indexed(
      ShardRouter<?> b, ShardRouter<?> a, Method method, int size,
      java.util.function.IntFunction<String> before, java.util.function.IntFunction<String> after,
      double ideal) {
    Map<String, MoveBuilder> moves = new LinkedHashMap<>();
    for (int i = 0; i < size; i++) {
      String from = before.apply(i);
      String to = after.apply(i);
      if (!from.equals(to)) {
        moves.computeIfAbsent(from + "\u0000" + to, x -> new MoveBuilder(from, to)).add(i, i + 1L);
      }
    }
    return new RebalancePlan(b, a, method, finish(moves, size), ideal);
  }

  private static RebalancePlan sampled(
      ShardRouter<?> b, ShardRouter<?> a, int sampleSize, double ideal) {
    SplittableRandom random = new SplittableRandom(0x5CA1EB10C5L);
    Map<List<String>, long[]> counts = new LinkedHashMap<>();
    for (int i = 0; i < sampleSize; i++) {
      long key = random.nextLong();
      String from = b.shardFor(key).name();
      String to = a.shardFor(key).name();
      if (!from.equals(to)) {
        counts.computeIfAbsent(List.of(from, to), x -> new long[1])[0]++;
      }
    }
    List<Move> moves = new ArrayList<>();
    for (Map.Entry<List<String>, long[]> e : counts.entrySet()) {
      List<String> fromTo = e.getKey();
      moves.add(new Move(fromTo.get(0), fromTo.get(1), e.getValue()[0] / (double) sampleSize, List.of()));
    }
    return new RebalancePlan(b, a, Method.SAMPLED_KEYS, moves, ideal);
  }

  private static List<Move> finish(Map<String, MoveBuilder> moves, long space) {
    List<Move> out = new ArrayList<>();
    for (MoveBuilder m : moves.values()) {
      out.add(new Move(m.from, m.to, m.total / (double) space, List.copyOf(m.ranges)));
    }
    return out;
  }

  private static final class MoveBuilder {
    final String from;
    final String to;
    final List<Range> ranges = new ArrayList<>();
    long total;

    MoveBuilder(String from, String to) {
      this.from = from;
      this.to = to;
    }

    void add(long start, long end) {
      total += end - start;
      int last = ranges.size() - 1;
      if (last >= 0 && ranges.get(last).end() == start) {
        ranges.set(last, new Range(ranges.get(last).start(), end));
      } else {
        ranges.add(new Range(start, end));
      }
    }
  }

  /** How the plan was computed. */
  public Method method() {
    return method;
  }

  /** Every (from, to) pair with keys moving, in key-space order of first appearance. */
  public List<Move> moves() {
    return moves;
  }

  /** Fraction of all keys that change shard (exact, or estimated for {@link Method#SAMPLED_KEYS}). */
  public double movedFraction() {
    return movedFraction;
  }

  /**
   * The least fraction that must move given the weight shares: {@code 1/(n+1)} when an equal
   * shard joins n, the victim's share when one leaves.
   */
  public double idealFraction() {
    return idealFraction;
  }

  /** The shard {@code key} leaves, if it moves: the before-shard name, else {@code null}. */
  public @org.jspecify.annotations.Nullable String moves(String key) {
    String from = before.shardFor(key).name();
    return from.equals(after.shardFor(key).name()) ? null : from;
  }

  /** The real keys that change shard, with where they come from and go to. */
  public List<KeyMove<String>> keysToMove(Iterable<String> keys) {
    Checks.requireNonNull(keys, "keys");
    List<KeyMove<String>> out = new ArrayList<>();
    for (String key : keys) {
      String from = before.shardFor(key).name();
      String to = after.shardFor(key).name();
      if (!from.equals(to)) {
        out.add(new KeyMove<>(key, from, to));
      }
    }
    return out;
  }

  /** {@link #keysToMove(Iterable)} for numeric keys. */
  public List<KeyMove<Long>> numericKeysToMove(Iterable<Long> keys) {
    Checks.requireNonNull(keys, "keys");
    List<KeyMove<Long>> out = new ArrayList<>();
    for (Long key : keys) {
      String from = before.shardFor(key).name();
      String to = after.shardFor(key).name();
      if (!from.equals(to)) {
        out.add(new KeyMove<>(key, from, to));
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return String.format(
        java.util.Locale.ROOT,
        "RebalancePlan[%s, moved %.4f, ideal %.4f, %d moves]",
        method,
        movedFraction,
        idealFraction,
        moves.size());
  }
}
