package dev.scaleblocks.benchmarks.ratelimit;

import dev.scaleblocks.ratelimit.Algorithm;
import dev.scaleblocks.ratelimit.Decision;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Local {@code tryAcquire(key)} (Caffeine key lookup + bucket4j bucket + a {@link Decision}) beside
 * a bare bucket4j bucket, Resilience4j's {@code AtomicRateLimiter} and Guava's {@code
 * RateLimiter}, on 1 and 2 threads, limits high enough that every call is admitted. Goal: ≤ 1.5×
 * the bare bucket4j ns/op, ahead of Resilience4j and Guava.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar LocalRateLimitBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LocalRateLimitBenchmark {

  private static final long RATE = 1_000_000_000L;

  private RateLimiter scaleblocks;
  private RateLimiter scaleblocksFixedWindow;
  private Bucket bucket;
  private Cache<String, Bucket> perKey;
  private final Function<String, Bucket> newBucket = k -> Bucket.builder()
      .addLimit(limit -> limit.capacity(RATE).refillGreedy(RATE, Duration.ofSeconds(1)))
      .build();
  private AtomicRateLimiter resilience4j;
  private com.google.common.util.concurrent.RateLimiter guava;

  @Setup
  public void setUp() {
    scaleblocks = RateLimiter.builder(RateLimitPolicy.builder("bench")
        .limit(RATE, Duration.ofSeconds(1)).build()).local().build();
    scaleblocksFixedWindow = RateLimiter.builder(RateLimitPolicy.builder("bench-fw")
        .algorithm(Algorithm.FIXED_WINDOW).limit(RATE, Duration.ofSeconds(1)).build()).local().build();
    bucket = Bucket.builder()
        .addLimit(limit -> limit.capacity(RATE).refillGreedy(RATE, Duration.ofSeconds(1)))
        .build();
    perKey = Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(Duration.ofSeconds(2))
        .build();
    resilience4j = new AtomicRateLimiter("bench", RateLimiterConfig.custom()
        .limitForPeriod(Integer.MAX_VALUE)
        .limitRefreshPeriod(Duration.ofSeconds(1))
        .timeoutDuration(Duration.ZERO)
        .build());
    guava = com.google.common.util.concurrent.RateLimiter.create(RATE);
  }

  // ---- one thread

  @Benchmark
  public Decision tryAcquire() {
    return scaleblocks.tryAcquire("203.0.113.7");
  }

  @Benchmark
  public Decision tryAcquireFixedWindow() {
    return scaleblocksFixedWindow.tryAcquire("203.0.113.7");
  }

  @Benchmark
  public boolean anchorBucket4j() {
    return bucket.tryConsume(1);
  }

  /** Context: the bare bucket asked for what the headers need (remaining, wait, reset). */
  @Benchmark
  public ConsumptionProbe anchorBucket4jWithRemaining() {
    return bucket.tryConsumeAndReturnRemaining(1);
  }

  /** Context: per-key bucket4j buckets in a Caffeine cache, as users build it by hand. */
  @Benchmark
  public ConsumptionProbe anchorBucket4jPerKeyCaffeine() {
    return perKey.get("203.0.113.7", newBucket).tryConsumeAndReturnRemaining(1);
  }

  @Benchmark
  public boolean anchorResilience4j() {
    return resilience4j.acquirePermission();
  }

  @Benchmark
  public boolean anchorGuava() {
    return guava.tryAcquire();
  }

  // ---- two threads

  @Benchmark
  @Threads(2)
  public Decision tryAcquire2t() {
    return scaleblocks.tryAcquire("203.0.113.7");
  }

  @Benchmark
  @Threads(2)
  public Decision tryAcquireFixedWindow2t() {
    return scaleblocksFixedWindow.tryAcquire("203.0.113.7");
  }

  @Benchmark
  @Threads(2)
  public boolean anchorBucket4j2t() {
    return bucket.tryConsume(1);
  }

  @Benchmark
  @Threads(2)
  public boolean anchorResilience4j2t() {
    return resilience4j.acquirePermission();
  }

  @Benchmark
  @Threads(2)
  public boolean anchorGuava2t() {
    return guava.tryAcquire();
  }
}
