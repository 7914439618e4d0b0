package dev.scaleblocks.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Properties every router must keep, over many random topologies with fixed seeds. */
class RouterPropertiesTest {

  enum Kind {
    KETAMA(1.35, 0.15),
    KETAMA_FAST(1.35, 0.15),
    JUMP(1.06, 0.0),
    RENDEZVOUS(1.06, 0.04),
    MAGLEV(1.06, 0.04),
    HASH_SLOTS(1.06, 0.04);

    /** Allowed max/mean load with equal weights, 10 shards, 200k keys. */
    final double maxOverMean;
    /** Allowed relative error of a weighted shard's share. */
    final double weightTolerance;

    Kind(double maxOverMean, double weightTolerance) {
      this.maxOverMean = maxOverMean;
      this.weightTolerance = weightTolerance;
    }

    <S> ShardRouter.Builder<S> builder() {
      switch (this) {
        case KETAMA:
          return ShardRouter.ketama();
        case KETAMA_FAST:
          return ShardRouter.<S>ketama().keyHash(KeyHash.XXHASH64);
        case JUMP:
          return ShardRouter.jump();
        case RENDEZVOUS:
          return ShardRouter.rendezvous();
        case MAGLEV:
          return ShardRouter.maglev();
        default:
          return ShardRouter.hashSlots();
      }
    }

    boolean weighted() {
      return this != JUMP;
    }

    boolean strictlyMonotone() {
      return this != MAGLEV;
    }
  }

  private static ShardRouter<String> router(Kind kind, int shards) {
    ShardRouter.Builder<String> b = kind.builder();
    for (int i = 0; i < shards; i++) {
      b.shard("shard-" + i, "shard-" + i);
    }
    return b.build();
  }

  private static Map<String, Integer> loads(ShardRouter<String> router, int keys, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, Integer> loads = new HashMap<>();
    for (int i = 0; i < keys; i++) {
      String key = i % 2 == 0 ? "user:" + random.nextLong() : Long.toHexString(random.nextLong());
      loads.merge(router.route(key), 1, Integer::sum);
    }
    return loads;
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void balance(Kind kind) {
    ShardRouter<String> router = router(kind, 10);
    Map<String, Integer> loads = loads(router, 200_000, 1);
    assertThat(loads).hasSize(10);
    double max = loads.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
    assertThat(max / 20_000.0).as("max/mean of %s", kind).isLessThanOrEqualTo(kind.maxOverMean);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void addingAShardMovesKeysOnlyToIt(Kind kind) {
    SplittableRandom random = new SplittableRandom(kind.ordinal());
    for (int topology = 0; topology < 12; topology++) {
      int n = 1 + random.nextInt(40);
      ShardRouter<String> before = router(kind, n);
      ShardRouter<String> after = before.withShard("new", "new");
      int moved = 0;
      int elsewhere = 0;
      int keys = 20_000;
      for (int i = 0; i < keys; i++) {
        long key = random.nextLong();
        String a = before.route(key);
        String b = after.route(key);
        if (!a.equals(b)) {
          moved++;
          if (!b.equals("new")) {
            elsewhere++;
          }
        }
      }
      double ideal = 1.0 / (n + 1);
      if (kind.strictlyMonotone()) {
        assertThat(elsewhere).as("%s n=%d: keys moved between old shards", kind, n).isZero();
      } else {
        assertThat(elsewhere / (double) keys).as("%s n=%d", kind, n).isLessThan(0.05);
      }
      double slack = kind == Kind.KETAMA || kind == Kind.KETAMA_FAST ? 0.5 : 0.15;
      assertThat(moved / (double) keys)
          .as("%s n=%d moved fraction vs ideal %.4f", kind, n, ideal)
          .isBetween(ideal * (1 - slack), ideal * (1 + slack) + 0.05 * (kind.strictlyMonotone() ? 0 : 1));
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void removingAShardMovesOnlyItsKeys(Kind kind) {
    SplittableRandom random = new SplittableRandom(100 + kind.ordinal());
    for (int topology = 0; topology < 12; topology++) {
      int n = 2 + random.nextInt(40);
      ShardRouter<String> before = router(kind, n);
      String victim = kind == Kind.JUMP ? "shard-" + (n - 1) : "shard-" + random.nextInt(n);
      ShardRouter<String> after = before.withoutShard(victim);
      int fromOthers = 0;
      for (int i = 0; i < 20_000; i++) {
        String key = "k" + random.nextLong();
        String a = before.route(key);
        String b = after.route(key);
        assertThat(b).isNotEqualTo(victim);
        if (!a.equals(b) && !a.equals(victim)) {
          fromOthers++;
        }
      }
      if (kind.strictlyMonotone()) {
        assertThat(fromOthers).as("%s n=%d: keys of surviving shards moved", kind, n).isZero();
      } else {
        assertThat(fromOthers / 20_000.0).as("%s n=%d", kind, n).isLessThan(0.05);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void weightsAreHonoured(Kind kind) {
    if (!kind.weighted()) {
      return;
    }
    double[] weights = {1, 2, 3, 0.5, 1.5};
    ShardRouter.Builder<String> b = kind.builder();
    double total = 0;
    for (int i = 0; i < weights.length; i++) {
      b.shard("w" + i, "w" + i, weights[i]);
      total += weights[i];
    }
    Map<String, Integer> loads = loads(b.build(), 300_000, 9);
    for (int i = 0; i < weights.length; i++) {
      double expected = weights[i] / total;
      double actual = loads.getOrDefault("w" + i, 0) / 300_000.0;
      assertThat(actual / expected)
          .as("%s share of weight %s", kind, weights[i])
          .isBetween(1 - kind.weightTolerance - 0.02, 1 + kind.weightTolerance + 0.02);
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void preferenceListsAreDistinctStableAndStartWithTheOwner(Kind kind) {
    SplittableRandom random = new SplittableRandom(77);
    for (int topology = 0; topology < 5; topology++) {
      int n = 1 + random.nextInt(12);
      ShardRouter<String> router = router(kind, n);
      ShardRouter<String> twin = router(kind, n);
      for (int i = 0; i < 2_000; i++) {
        String key = "key-" + random.nextInt();
        int want = 1 + random.nextInt(n);
        List<String> list = router.route(key, want);
        assertThat(list).hasSize(want).doesNotHaveDuplicates();
        assertThat(list.get(0)).isEqualTo(router.route(key));
        assertThat(twin.route(key, want)).isEqualTo(list);
        assertThat(router.route(key, n)).startsWith(list.toArray(new String[0]));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void keyFormsAgree(Kind kind) {
    ShardRouter<String> router = router(kind, 7);
    for (int i = 0; i < 1_000; i++) {
      String key = "order-" + i;
      assertThat(router.route(key.getBytes(java.nio.charset.StandardCharsets.UTF_8))).isEqualTo(router.route(key));
      assertThat(router.shardFor(key).handle()).isEqualTo(router.route(key));
      assertThat(router.shardFor((long) i).handle()).isEqualTo(router.route((long) i));
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void holderSwapsAtomicallyUnderConcurrentReaders(Kind kind) throws Exception {
    ShardRouterHolder<String> holder = ShardRouterHolder.of(router(kind, 4));
    List<Throwable> errors = new ArrayList<>();
    Supplier<Runnable> reader =
        () ->
            () -> {
              for (int i = 0; i < 50_000; i++) {
                String s = holder.route("k" + i);
                if (!s.startsWith("shard-")) {
                  synchronized (errors) {
                    errors.add(new AssertionError(s));
                  }
                }
              }
            };
    Thread t1 = new Thread(reader.get());
    Thread t2 = new Thread(reader.get());
    t1.start();
    t2.start();
    for (int i = 4; i < 12; i++) {
      String name = "shard-" + i;
      holder.update(r -> r.withShard(name, name));
    }
    t1.join();
    t2.join();
    assertThat(errors).isEmpty();
    assertThat(holder.current().shards()).hasSize(12);
  }
}
