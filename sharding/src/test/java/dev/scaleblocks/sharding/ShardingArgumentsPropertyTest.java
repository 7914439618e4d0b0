package dev.scaleblocks.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.function.Supplier;
import javax.sql.DataSource;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Every builder option and public entry point of the module, fed random and hostile values: the
 * outcome is a valid result or an {@link IllegalArgumentException} / {@link NullPointerException}
 * whose message names the parameter, never another exception, a hang or an out-of-memory error.
 */
class ShardingArgumentsPropertyTest {

  private static final int TRIES = 200;

  /** Runs {@code call}; fails on anything but success or a clear IAE/NPE mentioning one of {@code names}. */
  private static void validOrClear(Runnable call, String... names) {
    try {
      call.run();
    } catch (IllegalArgumentException | NullPointerException e) {
      assertThat(e.getMessage()).as("message of %s", e).isNotNull();
      assertThat(names).as("%s names the parameter", e).anyMatch(n -> e.getMessage().contains(n));
    }
  }

  @Provide
  Arbitrary<Double> weights() {
    return Arbitraries.oneOf(
        Arbitraries.doubles().between(1e-6, 100).ofScale(8),
        Arbitraries.of(
            0.0, -1.0, 1.0, 1e9, 1e300, Double.MAX_VALUE, Double.MIN_VALUE, Double.NaN,
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 6_000.0, 7_000.0));
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMinLength(0).ofMaxLength(20),
        Arbitraries.just(""),
        Arbitraries.just("x".repeat(100_000)));
  }

  @Provide
  Arbitrary<Integer> counts() {
    return Arbitraries.oneOf(
        Arbitraries.integers().between(-5, 1_000),
        Arbitraries.of(Integer.MIN_VALUE, Integer.MAX_VALUE, 1 << 20, (1 << 26) + 1));
  }

  @Provide
  Arbitrary<ShardRouter.Algorithm> algorithms() {
    return Arbitraries.of(ShardRouter.Algorithm.class);
  }

  private static ShardRouter.Builder<String> builder(ShardRouter.Algorithm algorithm) {
    switch (algorithm) {
      case KETAMA:
        return ShardRouter.ketama();
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

  @Property(tries = TRIES)
  void buildersTakeAnyShardsAndOptions(
      @ForAll("algorithms") ShardRouter.Algorithm algorithm,
      @ForAll("names") String name,
      @ForAll("weights") double weight,
      @ForAll("weights") double otherWeight,
      @ForAll("counts") int option,
      @ForAll("counts") int from,
      @ForAll("counts") int to) {
    validOrClear(
        () -> {
          ShardRouter.Builder<String> b = builder(algorithm);
          b.shard("base", "base", algorithm == ShardRouter.Algorithm.JUMP ? 1.0 : otherWeight);
          b.shard(name, "handle", weight);
          switch (algorithm) {
            case KETAMA:
              b.pointsPerWeight(option);
              break;
            case MAGLEV:
              // tables above 2^20 entries are valid but slow to fill; the bound itself is tested
              b.tableSize(option > (1 << 20) && option <= (1 << 26) ? 1 << 20 : option);
              break;
            case HASH_SLOTS:
              b.slots(name, from, to);
              break;
            default:
              break;
          }
          ShardRouter<String> r = b.build();
          assertThat(r.route("k")).isNotNull();
        },
        "weight", "name", "pointsPerWeight", "tableSize", "from", "to", "slot", "shard", "duplicate", "jump");
  }

  @Property(tries = TRIES)
  void routeEntryPointsTakeAnyKey(
      @ForAll("algorithms") ShardRouter.Algorithm algorithm,
      @ForAll("names") String key,
      @ForAll @Size(max = 64) byte[] bytes,
      @ForAll long number,
      @ForAll("counts") int n) {
    ShardRouter.Builder<String> b = builder(algorithm);
    for (int i = 0; i < 3; i++) {
      b.shard("s" + i, "s" + i);
    }
    ShardRouter<String> r = b.build();
    assertThat(r.route(key)).isNotNull();
    assertThat(r.route(bytes)).isNotNull();
    assertThat(r.route(number)).isNotNull();
    assertThat(r.shardFor(key).name()).isEqualTo(r.route(key));
    validOrClear(() -> assertThat(r.route(key, n)).hasSize(n), "n");
    validOrClear(() -> assertThat(r.route(bytes, n)).hasSize(n), "n");
    validOrClear(() -> assertThat(r.route(number, n)).hasSize(n), "n");
    validOrClear(() -> r.route((String) null), "key");
    validOrClear(() -> r.route((byte[]) null), "key");
  }

  @Property(tries = TRIES)
  void withAndWithoutShardTakeAnyArguments(
      @ForAll("algorithms") ShardRouter.Algorithm algorithm,
      @ForAll("names") String name,
      @ForAll("weights") double weight) {
    ShardRouter<String> r = builder(algorithm).shard("a", "a").shard("b", "b").build();
    validOrClear(() -> r.withShard(name, "h", weight).route("k"), "weight", "name", "jump", "shard");
    validOrClear(() -> r.withoutShard(name).route("k"), "name", "shard");
  }

  @Property(tries = TRIES)
  void hashesAndPlansTakeAnyArguments(
      @ForAll long key,
      @ForAll("counts") int buckets,
      @ForAll @Size(max = 32) byte[] data,
      @ForAll("counts") int off,
      @ForAll("counts") int len,
      @ForAll("counts") int sampleSize) {
    validOrClear(() -> assertThat(ShardHashes.jump(key, buckets)).isBetween(0, buckets - 1), "buckets");
    validOrClear(() -> assertThat(ShardHashes.crc16(data, off, len)).isBetween(0, 0xFFFF), "off", "len");
    ShardRouter<String> before = ShardRouter.<String>rendezvous().shard("a", "a").shard("b", "b").build();
    ShardRouter<String> after = before.withShard("c", "c");
    int sample = sampleSize > 20_000 && sampleSize <= RebalancePlan.MAX_SAMPLE ? 20_000 : sampleSize;
    validOrClear(() -> assertThat(RebalancePlan.between(before, after, sample).movedFraction()).isBetween(0.0, 1.0), "sampleSize");
  }

  @Provide
  Arbitrary<Duration> durations() {
    return Arbitraries.oneOf(
        Arbitraries.longs().between(-1_000, 100_000).map(Duration::ofMillis),
        Arbitraries.of(
            Duration.ZERO, Duration.ofNanos(1), Duration.ofNanos(-1), Duration.ofDays(36_500),
            Duration.ofDays(36_501), Duration.ofSeconds(Long.MAX_VALUE), Duration.ofSeconds(Long.MIN_VALUE)));
  }

  @Property(tries = TRIES)
  void shardedDataSourceBuilderTakesAnyOptions(
      @ForAll("counts") int parallelism, @ForAll("counts") int queueCapacity, @ForAll("durations") Duration timeout) {
    DataSource none = (DataSource) java.lang.reflect.Proxy.newProxyInstance(
        DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, (p, m, a) -> {
          throw new UnsupportedOperationException(m.getName());
        });
    ShardRouter<DataSource> router = ShardRouter.<DataSource>maglev().shard("a", none).build();
    Supplier<ShardedDataSource.Builder> b = () -> ShardedDataSource.builder().router(router);
    validOrClear(() -> b.get().parallelism(parallelism).build().close(), "parallelism");
    validOrClear(() -> b.get().queueCapacity(queueCapacity).build().close(), "queueCapacity");
    validOrClear(() -> b.get().fanOutTimeout(timeout).build().close(), "fanOutTimeout");
    validOrClear(() -> {
      try (ShardedDataSource sds =
          b.get().parallelism(parallelism).queueCapacity(queueCapacity).fanOutTimeout(timeout).build()) {
        try {
          assertThat(sds.fanOut(shard -> shard.name())).containsEntry("a", "a");
        } catch (FanOutException tooShort) {
          assertThat(tooShort).hasMessageStartingWith("fan-out timed out after"); // a 1 ms timeout may pass
        }
      }
    }, "parallelism", "queueCapacity", "fanOutTimeout");
  }
}
