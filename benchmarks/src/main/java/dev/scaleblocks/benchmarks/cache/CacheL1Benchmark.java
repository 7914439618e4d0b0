package dev.scaleblocks.benchmarks.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.scaleblocks.cache.TieredCache;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * An L1 hit of {@code TieredCache.get(key, loader)} beside raw Caffeine {@code getIfPresent} on a
 * cache of the same shape (10 000 entries, 1 minute expiry), with 1 and 2 threads, over 8 192 hot
 * keys. Goal: ≥ 0.8× Caffeine's throughput and 0 B/op (run with {@code -prof gc}).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar CacheL1Benchmark -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CacheL1Benchmark {

  private static final int KEYS = 8_192;
  private static final Function<String, String> LOADER = k -> "loaded";

  private TieredCache<String, String> tiered;
  private Cache<String, String> caffeine;
  private String[] keys;

  @State(Scope.Thread)
  public static class Cursor {
    int i;

    int next() {
      return (i = (i + 1) & (KEYS - 1));
    }
  }

  @Setup
  public void setUp() {
    tiered = TieredCache.builder()
        .name("bench-l1")
        .maximumSize(10_000)
        .l1Ttl(Duration.ofMinutes(1))
        .<String, String>build();
    caffeine = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofMinutes(1)).build();
    keys = new String[KEYS];
    for (int i = 0; i < KEYS; i++) {
      keys[i] = "key-" + i;
      tiered.put(keys[i], "value-" + i);
      caffeine.put(keys[i], "value-" + i);
    }
  }

  @TearDown
  public void tearDown() {
    tiered.close();
  }

  @Benchmark
  @Threads(1)
  public String tieredGet1(Cursor c) {
    return tiered.get(keys[c.next()], LOADER);
  }

  @Benchmark
  @Threads(1)
  public String caffeineGetIfPresent1(Cursor c) {
    return caffeine.getIfPresent(keys[c.next()]);
  }

  @Benchmark
  @Threads(2)
  public String tieredGet2(Cursor c) {
    return tiered.get(keys[c.next()], LOADER);
  }

  @Benchmark
  @Threads(2)
  public String caffeineGetIfPresent2(Cursor c) {
    return caffeine.getIfPresent(keys[c.next()]);
  }
}
