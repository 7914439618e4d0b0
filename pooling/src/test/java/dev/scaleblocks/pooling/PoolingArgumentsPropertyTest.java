package dev.scaleblocks.pooling;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Every builder option and public entry point of the module that needs no database, fed random
 * and hostile values: the outcome is valid, or an {@link IllegalArgumentException} / {@link
 * NullPointerException} whose message names the parameter; never another exception, a hang or an
 * out-of-memory error.
 */
class PoolingArgumentsPropertyTest {

  private static final int TRIES = 200;

  private static void validOrClear(Runnable call, String... names) {
    try {
      call.run();
    } catch (IllegalArgumentException | NullPointerException e) {
      assertThat(e.getMessage()).as("message of %s", e).isNotNull();
      assertThat(names).as("%s names the parameter", e).anyMatch(n -> e.getMessage().contains(n));
    }
  }

  @Provide
  Arbitrary<Duration> durations() {
    return Arbitraries.oneOf(
        Arbitraries.longs().between(-1_000, 4_000_000).map(Duration::ofMillis),
        Arbitraries.longs().map(Duration::ofNanos),
        Arbitraries.of(
            Duration.ZERO, Duration.ofNanos(1), Duration.ofNanos(-1), Duration.ofDays(24), Duration.ofDays(25),
            Duration.ofDays(36_500), Duration.ofDays(36_501), Duration.ofSeconds(Long.MAX_VALUE),
            Duration.ofSeconds(Long.MIN_VALUE)));
  }

  @Provide
  Arbitrary<Integer> counts() {
    return Arbitraries.oneOf(
        Arbitraries.integers().between(-5, 10_000),
        Arbitraries.of(Integer.MIN_VALUE, Integer.MAX_VALUE, 0, 1, 65_535, 65_536));
  }

  @Provide
  Arbitrary<String> strings() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMinLength(0).ofMaxLength(30),
        Arbitraries.just(""),
        Arbitraries.just("jdbc:" + "x".repeat(1_000_000)));
  }

  @Provide
  Arbitrary<Double> doubles() {
    return Arbitraries.oneOf(
        Arbitraries.doubles().between(-10, 1e6),
        Arbitraries.of(
            0.0, 1.0, 1e300, Double.MAX_VALUE, Double.MIN_VALUE, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, -1e300));
  }

  private static final String URL = "jdbc:postgresql://127.0.0.1:5432/postgres";

  private static Pools.Builder base() {
    return Pools.builder().jdbcUrl(URL).poolName("p");
  }

  @Property(tries = TRIES)
  void poolDurationsAreValidOrClearlyRefused(@ForAll("durations") Duration d) {
    List<String> names =
        List.of("connectionTimeout", "idleTimeout", "maxLifetime", "keepaliveTime", "validationTimeout", "leakDetectionThreshold");
    List<Function<Pools.Builder, Pools.Builder>> setters =
        List.of(
            b -> b.connectionTimeout(d),
            b -> b.idleTimeout(d),
            b -> b.maxLifetime(d),
            b -> b.keepaliveTime(d),
            b -> b.validationTimeout(d),
            b -> b.leakDetectionThreshold(d));
    for (int i = 0; i < setters.size(); i++) {
      Function<Pools.Builder, Pools.Builder> set = setters.get(i);
      // the dependent checks at toConfig() name the setting too
      if (!names.get(i).equals("maxLifetime")) { // each option is set once
        validOrClear(() -> set.apply(base().maxLifetime(Duration.ofDays(24))).toConfig(), names.get(i), "maxLifetime");
      }
      validOrClear(() -> set.apply(base()).toConfig(), names.toArray(new String[0]));
    }
  }

  @Property(tries = TRIES)
  void poolCountsAndStringsAreValidOrClearlyRefused(
      @ForAll("counts") int max,
      @ForAll("counts") int minIdle,
      @ForAll("counts") int port,
      @ForAll("strings") String text) {
    validOrClear(() -> base().maximumPoolSize(max).toConfig(), "maximumPoolSize");
    validOrClear(() -> base().minimumIdle(minIdle).toConfig(), "minimumIdle");
    validOrClear(() -> base().maximumPoolSize(max).minimumIdle(minIdle).toConfig(), "maximumPoolSize", "minimumIdle");
    validOrClear(() -> Pools.builder().postgresql(text, port, text).poolName("p").toConfig(), "host", "port", "database", "jdbcUrl");
    validOrClear(() -> Pools.builder().jdbcUrl(text).poolName("p").toConfig(), "jdbcUrl");
    validOrClear(() -> Pools.builder().jdbcUrl(URL).poolName(text).toConfig(), "poolName");
    validOrClear(() -> base().credentials(text, text).toConfig(), "username");
    validOrClear(() -> base().driverClassName(text), "driverClassName");
    validOrClear(() -> base().shard(text).toConfig(), "shard");
    validOrClear(() -> base().dataSourceProperty(text, text).toConfig(), "name");
    validOrClear(() -> Pools.newScheduler(text, Math.min(max, 64)).shutdownNow(), "name", "threads");
  }

  @Property(tries = TRIES)
  void readWriteBuilderOptionsAreValidOrClearlyRefused(
      @ForAll("durations") Duration d,
      @ForAll("durations") Duration other,
      @ForAll("counts") int n,
      @ForAll("strings") String text) {
    ReadWriteDataSource.Builder b = ReadWriteDataSource.builder().primary(base());
    validOrClear(() -> b.healthCheckInterval(d), "healthCheckInterval");
    validOrClear(() -> b.probeTimeout(d), "probeTimeout");
    validOrClear(() -> b.readTimeout(d), "readTimeout");
    validOrClear(() -> b.maxReplicationLag(other), "maxReplicationLag");
    validOrClear(() -> b.readmitAfter(n), "readmitAfter");
    validOrClear(() -> b.replica(base(), n), "weight");
    validOrClear(() -> b.name(text), "name");
    validOrClear(() -> b.shard(text), "shard");
    validOrClear(() -> assertThat(b.settings().readTimeout()).isPositive(), "maxReplicationLag", "healthCheckInterval");
  }

  @Property(tries = TRIES)
  void poolSizingIsValidOrClearlyRefused(
      @ForAll("doubles") double rate,
      @ForAll("durations") Duration hold,
      @ForAll("doubles") double headroom,
      @ForAll("counts") int a,
      @ForAll("counts") int b,
      @ForAll("counts") int c,
      @ForAll("counts") int d) {
    validOrClear(
        () -> assertThat(PoolSizing.littlesLaw(rate, hold, headroom).size()).isBetween(1, PoolSizing.MAX_ESTIMATE),
        "requestsPerSecond", "meanHoldTime", "headroom");
    validOrClear(
        () -> assertThat(PoolSizing.hikariFormula(a, b).size()).isBetween(1, PoolSizing.MAX_ESTIMATE),
        "serverCores", "effectiveSpindles");
    validOrClear(() -> assertThat(PoolSizing.deadlockFloor(a, b).size()).isPositive(), "threads", "connectionsPerTask");
    validOrClear(() -> assertThat(PoolSizing.budget(a, b, c, d).usable()).isPositive(), "instances", "connectionsPerInstance", "maxConnections", "reserve");
  }
}
