package dev.scaleblocks.sharding;

import dev.scaleblocks.core.internal.Checks;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Routes a shard key to one of a set of named, weighted shards, moving as few keys as possible
 * when shards are added or removed.
 *
 * <p>Five algorithms, each a factory here:
 *
 * <ul>
 *   <li>{@link #ketama()}: a ring of virtual nodes (160 per unit weight); with unit weights and
 *       shards named as spymemcached names its nodes ({@code host:port}), point placement equal to
 *       spymemcached's ketama, so that client and this router agree (libmemcached's ketama differs:
 *       see {@link #ketama()}); O(log points).
 *   <li>{@link #jump()}: Jump consistent hash (Lamping &amp; Veach), for append-only numbered
 *       buckets; no memory; only the last shard can be removed; no weights.
 *   <li>{@link #rendezvous()}: weighted highest-random-weight; any shard can go; O(shards) per key.
 *   <li>{@link #maglev()}: Maglev lookup table, weights; O(1). The table is the smallest prime ≥
 *       max(65 537, 100 × shards rounded up to a power of two): it grows, and almost every key
 *       moves, when the shard count crosses 512, 1 024, 2 048, ... (see {@link #maglev()}).
 *   <li>{@link #hashSlots()}: Redis Cluster's 16384 slots ({@code CRC16(key) & 16383} with
 *       {@code {hash tags}}) and a slot → shard map; O(key length).
 * </ul>
 *
 * {@snippet :
 * ShardRouter<DataSource> router = ShardRouter.<DataSource>maglev()
 *     .shard("db-a", dataSourceA)
 *     .shard("db-b", dataSourceB, 2.0)   // twice the capacity
 *     .build();
 * DataSource ds = router.route("customer-42");
 * }
 *
 * <p>Key forms: a {@code String} is hashed as its UTF-8 bytes (no copy for ASCII); a {@code long}
 * is hashed as its 8 little-endian bytes with xxHash64 (ketama in MD5 mode and hash slots instead
 * hash its decimal spelling, as a memcached or Redis client would send it), so sequential ids spread.
 *
 * <p>Routers are immutable and thread-safe; {@code route} never allocates (except the list of
 * {@code route(key, n)}). {@link #withShard} and {@link #withoutShard} build a new router; swap it in
 * with a {@link ShardRouterHolder}.
 *
 * @param <S> the caller's shard handle
 */
public interface ShardRouter<S> {

  /** The routing algorithms. */
  enum Algorithm {
    KETAMA,
    JUMP,
    RENDEZVOUS,
    MAGLEV,
    HASH_SLOTS
  }

  /** The shard owning {@code key}. */
  S route(String key);

  /** The shard owning a binary {@code key}. */
  S route(byte[] key);

  /** The shard owning a numeric {@code key}. */
  S route(long key);

  /**
   * A preference list: {@code n} distinct shards for {@code key}, the owner first, stable for the
   * same router. For replicas and fallback.
   *
   * @throws IllegalArgumentException unless {@code 1 <= n <= shards().size()}
   */
  List<S> route(String key, int n);

  /** {@link #route(String, int)} for a binary key. */
  List<S> route(byte[] key, int n);

  /** {@link #route(String, int)} for a numeric key. */
  List<S> route(long key, int n);

  /** The full shard (name, handle, weight) owning {@code key}. */
  Shard<S> shardFor(String key);

  /** The full shard owning a binary {@code key}. */
  Shard<S> shardFor(byte[] key);

  /** The full shard owning a numeric {@code key}. */
  Shard<S> shardFor(long key);

  /** The shards in the order they were added. */
  List<Shard<S>> shards();

  /** Which algorithm this router uses. */
  Algorithm algorithm();

  /**
   * A new router with one more shard (or {@code name}'s handle and weight replaced); this one is
   * unchanged. Keys move only to the new shard (Maglev: almost only, see {@link #maglev()}).
   */
  ShardRouter<S> withShard(String name, S handle, double weight);

  /** {@link #withShard(String, Object, double)} with weight 1. */
  default ShardRouter<S> withShard(String name, S handle) {
    return withShard(name, handle, 1.0);
  }

  /**
   * A new router without {@code name}; only that shard's keys move.
   *
   * @throws IllegalArgumentException if there is no such shard, it is the only one, or (jump) it
   *     is not the last one
   */
  ShardRouter<S> withoutShard(String name);

  /**
   * A ketama ring builder: 160 points per unit weight, MD5 key hash.
   *
   * <p>Memcached clients: with unit weights, the ring is exactly spymemcached's {@code
   * KetamaNodeLocator} (with {@code KETAMA_HASH}) when each shard is named as spymemcached names the
   * node, {@code host:port} from its address ({@code 10.0.0.1:11211}). libmemcached's ketama is
   * <em>not</em> reproduced: it names a server {@code host} when its port is 11211 and {@code
   * host:port} otherwise, computes the points per server in float arithmetic (156 instead of 160 at
   * 25, 47, 50, 55, 61, 71, 94, 100, ... servers, so some keys differ there) and weighs servers by
   * {@code floor(w / Σw × 40 × n)}. Weighted rings here get {@code 4 × round(40 × w)} points per
   * shard, which follows neither client but keeps adding a shard monotone.
   *
   * <p>The ring holds at most 1 048 576 points in total: a weight that needs more (e.g. 1e9) is
   * refused with an {@link IllegalArgumentException} naming the shard and its weight.
   */
  static <S> Builder<S> ketama() {
    return new Builder<>(Algorithm.KETAMA);
  }

  /** A Jump consistent hash builder (append-only, unweighted). */
  static <S> Builder<S> jump() {
    return new Builder<>(Algorithm.JUMP);
  }

  /** A weighted rendezvous (HRW) builder. */
  static <S> Builder<S> rendezvous() {
    return new Builder<>(Algorithm.RENDEZVOUS);
  }

  /**
   * A Maglev builder. Maglev balances best and looks up in O(1), but is not perfectly monotone:
   * adding or removing a shard also moves some keys between the other shards (0.2-0.6 % of all
   * keys with the default table at 10-1000 shards; a larger {@link Builder#tableSize} reduces it).
   *
   * <p><b>Table size cliff.</b> The table is the smallest prime ≥ max(tableSize, 100 × the shard
   * count rounded up to a power of two); with the default tableSize (65 537) it is 65 537 up to 512
   * shards, 102 407 up to 1 024, 204 803 up to 2 048, and so on. When a change of shard count
   * changes the table size, the whole table is rebuilt and almost every key moves between the
   * existing shards: going from 1 024 to 1 025 shards moves 99.8 % of keys, from 512 to 513 99.6 %
   * (measured by {@code MaglevTableSizeTest}). If the shard count may cross such a
   * boundary, set {@link Builder#tableSize} to 100 × the largest count you expect (rounded up to a
   * power of two) from the start, so the table never changes size.
   */
  static <S> Builder<S> maglev() {
    return new Builder<>(Algorithm.MAGLEV);
  }

  /**
   * A Redis Cluster hash-slot builder. Without {@link Builder#slots explicit ranges} the 16384
   * slots are split in contiguous ranges proportional to weight, as {@code redis-cli --cluster
   * create} does for equal weights.
   */
  static <S> Builder<S> hashSlots() {
    return new Builder<>(Algorithm.HASH_SLOTS);
  }

  /**
   * Builds a {@link ShardRouter}. Each option is checked when set; {@link #build()} copies into an
   * immutable router. Not thread-safe; use from one thread.
   *
   * @param <S> the shard handle type
   */
  final class Builder<S> {
    private final Algorithm algorithm;
    private final Map<String, Shard<S>> shards = new LinkedHashMap<>();
    private @Nullable KeyHash keyHash;
    private int pointsPerWeight;
    private int tableSize;
    private final List<int[]> slotRanges = new ArrayList<>();
    private final List<String> slotOwners = new ArrayList<>();

    Builder(Algorithm algorithm) {
      this.algorithm = algorithm;
    }

    /** Adds a shard of weight 1. */
    public Builder<S> shard(String name, S handle) {
      return shard(name, handle, 1.0);
    }

    /**
     * Adds a shard.
     *
     * @throws IllegalArgumentException for a duplicate or empty name or a weight that is not
     *     positive and finite (jump: not 1)
     */
    public Builder<S> shard(String name, S handle, double weight) {
      Shard<S> shard = new Shard<>(name, handle, weight);
      Checks.requireArgument(!shards.containsKey(name), "duplicate shard name '%s'", name);
      if (algorithm == Algorithm.JUMP) {
        Checks.requireArgument(
            weight == 1.0,
            "jump consistent hash has no weights: weight of shard '%s' must be 1 but was %s",
            name,
            weight);
      }
      shards.put(name, shard);
      return this;
    }

    /** Ketama only: how keys are hashed onto the ring (default {@link KeyHash#KETAMA_MD5}). */
    public Builder<S> keyHash(KeyHash keyHash) {
      onlyFor(Algorithm.KETAMA, "keyHash");
      Checks.requireNonNull(keyHash, "keyHash");
      Checks.requireUnset(this.keyHash != null, "keyHash", this.keyHash);
      this.keyHash = keyHash;
      return this;
    }

    /**
     * Ketama only: virtual points per unit weight, a multiple of 4 (default 160, as libmemcached
     * and spymemcached; other values are not memcached compatible).
     */
    public Builder<S> pointsPerWeight(int points) {
      onlyFor(Algorithm.KETAMA, "pointsPerWeight");
      Checks.requirePositive(points, "pointsPerWeight");
      Checks.requireArgument(
          points % 4 == 0, "pointsPerWeight must be a multiple of 4 but was %s", points);
      Checks.requireUnset(this.pointsPerWeight != 0, "pointsPerWeight", this.pointsPerWeight);
      this.pointsPerWeight = points;
      return this;
    }

    /**
     * Maglev only: the minimum lookup table size (default 65537). The table is the smallest prime
     * at least {@code max(tableSize, 100 × shards rounded up to a power of two)}; choose it for the
     * largest shard count you expect, since a change of table size moves almost every key (99.8 %
     * from 1 024 to 1 025 shards with the default, see {@link ShardRouter#maglev()}).
     */
    public Builder<S> tableSize(int tableSize) {
      onlyFor(Algorithm.MAGLEV, "tableSize");
      Checks.requireInRange(tableSize, 2, MaglevRouter.MAX_TABLE, "tableSize");
      Checks.requireUnset(this.tableSize != 0, "tableSize", this.tableSize);
      this.tableSize = tableSize;
      return this;
    }

    /**
     * Hash slots only: assigns slots {@code from..to} (inclusive) to shard {@code name}. When any
     * range is given, every slot must be assigned exactly once by {@link #build()}.
     */
    public Builder<S> slots(String name, int from, int to) {
      onlyFor(Algorithm.HASH_SLOTS, "slots");
      Checks.requireNonEmpty(name, "name");
      Checks.requireInRange(from, 0, ShardHashes.REDIS_SLOTS - 1, "from");
      Checks.requireInRange(to, from, ShardHashes.REDIS_SLOTS - 1, "to");
      slotRanges.add(new int[] {from, to});
      slotOwners.add(name);
      return this;
    }

    /**
     * An immutable router.
     *
     * @throws IllegalStateException when no shard was added
     * @throws IllegalArgumentException for slot ranges that overlap, leave gaps or name unknown
     *     shards
     */
    public ShardRouter<S> build() {
      Checks.requireState(
          !shards.isEmpty(), "no shards: add at least one with shard(name, handle)");
      List<Shard<S>> list = List.copyOf(shards.values());
      return switch (algorithm) {
        case KETAMA -> new KetamaRouter<>(
            list,
            keyHash == null ? KeyHash.KETAMA_MD5 : keyHash,
            pointsPerWeight == 0 ? KetamaRouter.DEFAULT_POINTS : pointsPerWeight);
        case JUMP -> new JumpRouter<>(list);
        case RENDEZVOUS -> new RendezvousRouter<>(list);
        case MAGLEV -> new MaglevRouter<>(list, tableSize == 0 ? MaglevRouter.DEFAULT_TABLE : tableSize);
        case HASH_SLOTS -> HashSlotRouter.create(list, slotOwners, slotRanges);
      };
    }

    private void onlyFor(Algorithm expected, String option) {
      Checks.requireState(
          algorithm == expected,
          "%s applies only to %s, not to %s",
          option,
          expected.name().toLowerCase(java.util.Locale.ROOT),
          algorithm.name().toLowerCase(java.util.Locale.ROOT));
    }
  }
}
