package dev.scaleblocks.benchmarks.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
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
 * keys. Goal: ≥ 0.9× Caffeine's throughput and 0 B/op (run with {@code -prof gc}). {@code
 * caffeineVariableExpiry1} is raw Caffeine configured as the L1 is (per-entry expiry, an injected
 * ticker and maintenance executor): the gap between it and {@code caffeineGetIfPresent1} is what
 * that configuration costs inside Caffeine, the rest is the tier's own work (key check, hit
 * counter, holder).
 *
 * <p>Why the forks of one run used to range 2–3×: the compiled hit path was thrown away during
 * measurement. Caffeine schedules its maintenance from the read that fills a read buffer, through
 * the cache's executor, which then read a {@code ThreadLocal} to choose inline or pooled
 * maintenance; that call was inlined into the hit path, and {@code ThreadLocal.get} is one method
 * shared by every thread-local of the process, so its type profile changed as other {@code
 * ThreadLocal} classes were used and C2 hit class-check traps there (the JIT compilation log shows
 * them 2 s and 7 s into a fork, the second inside a measured iteration), deoptimised the hit path
 * and recompiled it, at times that differed per JVM. The executor now reads a per-cache count of
 * writes in progress instead; with the same log, no trap remains in the hit path after warm-up.
 * The hit path itself was also split so that everything a fresh hit does not need (refresh-ahead,
 * misses) is out of line. Ruled out with the inlining log: whether {@code lookup} is inlined into
 * its caller depends on compilation order ("already compiled into a big method" in 2 of 4 forks,
 * Caffeine's {@code getIfPresent} not inlined into {@code lookup} in the other 2), but those forks
 * ran at the same speed (8.5–10.4 ops/µs each). No allocation on the path (0 B/op in every fork).
 * What remains of the spread on the shared 2-core machine (forks at 3.2–3.5 and 7–10 ops/µs in
 * one run, the raw Caffeine anchor 4.6–8.4) is the share of a core each fork gets at load 6–13;
 * verdicts take the median of 5 forks.
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
  private Cache<String, String> caffeineVariable;
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
    // raw Caffeine configured as the L1 is: per-entry (variable) expiry, an injected ticker and
    // maintenance executor; separates what Caffeine's configuration costs from what the tier adds
    caffeineVariable = Caffeine.newBuilder()
        .maximumSize(10_000)
        .executor(java.util.concurrent.ForkJoinPool.commonPool()::execute)
        .ticker(System::nanoTime)
        .expireAfter(Expiry.<String, String>creating((k, v) -> Duration.ofMinutes(1)))
        .build();
    keys = new String[KEYS];
    for (int i = 0; i < KEYS; i++) {
      keys[i] = "key-" + i;
      tiered.put(keys[i], "value-" + i);
      caffeine.put(keys[i], "value-" + i);
      caffeineVariable.put(keys[i], "value-" + i);
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
  @Threads(1)
  public String caffeineVariableExpiry1(Cursor c) {
    return caffeineVariable.getIfPresent(keys[c.next()]);
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
