package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A flood of a million random keys (spoofed client addresses, say) cannot grow the local store
 * past its bound: Caffeine maintenance runs on the calling thread here, so eviction is synchronous
 * and the size check is deterministic.
 */
class KeyFloodTest {

  private static final int KEYS = 1_000_000;
  private static final int BOUND = 10_000;

  @ParameterizedTest
  @EnumSource(value = Algorithm.class, names = {"TOKEN_BUCKET", "SLIDING_WINDOW"})
  void aMillionRandomKeysStayWithinTheBound(Algorithm algorithm) {
    RateLimitPolicy policy = RateLimitPolicy.builder("flood").algorithm(algorithm)
        .limit(100, Duration.ofMinutes(15)).build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RateLimiter limiter = RateLimiter.builder(policy).local().maximumKeys(BOUND)
        .ticker(new FakeTicker()).cacheExecutor(Runnable::run)
        .telemetry(Telemetry.of(registry)).build();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long before = usedAfterGc(memory);
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < KEYS; i++) {
      assertThat(limiter.tryAcquire(Long.toHexString(random.nextLong())).allowed()).isTrue();
    }
    double size = registry.get("scaleblocks.ratelimit.keys").tag("store", "local").gauge().value();
    assertThat(size).as("keys held").isGreaterThan(BOUND / 2.0);
    assertThat(size).isLessThanOrEqualTo(BOUND);
    long retained = usedAfterGc(memory) - before;
    // 10 000 entries of a few hundred bytes each; unbounded, a million keys would retain > 300 MB
    assertThat(retained).as("retained heap, bytes").isLessThan(32L << 20);
    // and the limiter still works for a key it has just seen
    assertThat(limiter.tryAcquire("last").allowed()).isTrue();
  }


  private static long usedAfterGc(MemoryMXBean memory) {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
