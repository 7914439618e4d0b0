package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.codec.Codec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two instances (separate clients, separate instance ids) on the same Redis: a write on one is gone
 * from the other's L1 within a bound, measured here.
 */
class CoherenceIT {

  private static final Logger log = LoggerFactory.getLogger(CoherenceIT.class);

  static Stream<Arguments> redis() {
    return Stream.of(
        Arguments.of("jedis standalone", (Supplier<TestL2>) TestL2::jedisStandalone),
        Arguments.of("jedis cluster", (Supplier<TestL2>) TestL2::jedisCluster),
        Arguments.of("lettuce standalone", (Supplier<TestL2>) TestL2::lettuceStandalone),
        Arguments.of("lettuce cluster", (Supplier<TestL2>) TestL2::lettuceCluster));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("redis")
  void aWriteOnOneInstanceLeavesTheOtherL1QuicklyAndP99IsReported(String mode, Supplier<TestL2> clients)
      throws Exception {
    String name = "coherence-" + UUID.randomUUID();
    SimpleMeterRegistry registryB = new SimpleMeterRegistry();
    try (TestL2 clientA = clients.get();
        TestL2 clientB = clients.get();
        TieredCache<String, String> a = build(name, clientA, new SimpleMeterRegistry());
        TieredCache<String, String> b = build(name, clientB, registryB)) {
      DefaultTieredCache<String, String> bImpl = (DefaultTieredCache<String, String>) b;
      int rounds = 200;
      long[] nanos = new long[rounds];
      for (int i = 0; i < rounds; i++) {
        String key = "k" + (i % 20);
        String old = "old-" + i;
        String fresh = "new-" + i;
        a.put(key, old);
        // B caches the old value in its L1 (from L2, no load)
        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
            .until(() -> old.equals(b.get(key, k -> "loaded")) && old.equals(bImpl.peekL1(key)));
        long start = System.nanoTime();
        a.put(key, fresh);
        long deadline = start + Duration.ofSeconds(5).toNanos();
        while (old.equals(bImpl.peekL1(key)) && System.nanoTime() < deadline) {
          java.util.concurrent.locks.LockSupport.parkNanos(20_000);
        }
        nanos[i] = System.nanoTime() - start;
        assertThat(bImpl.peekL1(key)).isNotEqualTo(old);
        assertThat(b.get(key, k -> "loaded")).isEqualTo(fresh);
      }
      Arrays.sort(nanos);
      double p50 = nanos[rounds / 2] / 1e6;
      double p99 = nanos[(int) (rounds * 0.99) - 1] / 1e6;
      double max = nanos[rounds - 1] / 1e6;
      log.info("cross-instance invalidation ({}): p50 {} ms, p99 {} ms, max {} ms over {} writes",
          mode, String.format("%.3f", p50), String.format("%.3f", p99), String.format("%.3f", max), rounds);
      // generous: the machine is shared; the measured figures are what the docs report
      assertThat(p99).as("p99 invalidation delay in ms").isLessThan(500);
      assertThat(registryB.get("scaleblocks.cache.invalidations").tag("direction", "received")
          .functionCounter().count()).isGreaterThanOrEqualTo(rounds);
      assertThat(registryB.get("scaleblocks.cache.invalidations").tag("direction", "lost")
          .functionCounter().count()).isZero();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("redis")
  void invalidateAndInvalidateAllReachTheOtherInstance(String mode, Supplier<TestL2> clients) throws Exception {
    String name = "coherence-inv-" + UUID.randomUUID();
    try (TestL2 clientA = clients.get();
        TestL2 clientB = clients.get();
        TieredCache<String, String> a = build(name, clientA, new SimpleMeterRegistry());
        TieredCache<String, String> b = build(name, clientB, new SimpleMeterRegistry())) {
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        keys.add("key-" + i);
      }
      for (String k : keys) {
        assertThat(b.get(k, x -> "v1")).isEqualTo("v1");
      }
      a.invalidate("key-0");
      await().atMost(Duration.ofSeconds(5)).until(() -> ((DefaultTieredCache<String, String>) b).peekL1("key-0") == null);
      // the tombstone makes B load again, not read the old L2 value
      assertThat(b.get("key-0", x -> "v2")).isEqualTo("v2");
      a.invalidateAll();
      await().atMost(Duration.ofSeconds(5)).until(() -> b.estimatedL1Size() == 0);
      for (String k : keys) {
        assertThat(b.get(k, x -> "v3")).isEqualTo("v3");
      }
    }
  }

  static TieredCache<String, String> build(String name, TestL2 client, SimpleMeterRegistry registry) {
    return client.attach(TieredCache.builder()
        .name(name)
        .keyCodec(Codec.utf8())
        .valueCodec(Codec.utf8()))
        .invalidationHeartbeat(Duration.ofMillis(200))
        .telemetry(Telemetry.of(registry))
        .build();
  }
}
