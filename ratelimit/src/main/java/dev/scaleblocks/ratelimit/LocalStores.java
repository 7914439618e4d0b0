package dev.scaleblocks.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.scaleblocks.core.Ticker;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketState;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.VerboseResult;
import io.github.bucket4j.local.LocalBucketBuilder;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * In-memory stores: per-key state in a bounded Caffeine cache (at most {@code maximumKeys}
 * entries, each dropped after it has been idle long enough to be indistinguishable from a fresh
 * key, so eviction by age never changes a decision).
 */
final class LocalStores {

  private LocalStores() {}

  static Store create(Algorithm algorithm, LimitSpec[] limits, long maximumKeys, Ticker ticker,
      @Nullable Executor cacheExecutor) {
    long idle = 1;
    for (LimitSpec l : limits) {
      idle = Math.max(idle, l.idleMillis(algorithm));
    }
    MillisClock clock = new MillisClock(ticker);
    Caffeine<Object, Object> b = Caffeine.newBuilder()
        .maximumSize(maximumKeys)
        // a second of slack: the clock is read once per decision and may lag a little
        .expireAfterAccess(Duration.ofMillis(idle).plusSeconds(1))
        .ticker(clock::nanos);
    if (cacheExecutor != null) {
      b.executor(cacheExecutor);
    }
    return algorithm == Algorithm.TOKEN_BUCKET
        ? new BucketStore(limits, b.build(), clock)
        : new CounterStore(algorithm, limits, b.build(), clock);
  }

  /**
   * The ticker read once per decision, floored to whole milliseconds and kept: Caffeine's expiry
   * and bucket4j's refill read the kept value instead of the system clock again, so a decision
   * costs one clock read, as a bare bucket4j bucket does. The kept value only moves forward (a CAS,
   * at most once per millisecond under contention).
   */
  static final class MillisClock extends AtomicLong implements TimeMeter {
    private static final long serialVersionUID = 1L;
    private final transient Ticker ticker;

    MillisClock(Ticker ticker) {
      super(Math.floorDiv(ticker.read(), 1_000_000L));
      this.ticker = ticker;
    }

    /** Reads the ticker; returns and keeps the current millisecond. */
    long tick() {
      long now = Math.floorDiv(ticker.read(), 1_000_000L);
      long kept = get();
      while (now > kept && !compareAndSet(kept, now)) {
        kept = get();
      }
      return Math.max(now, kept);
    }

    long millis() {
      return get();
    }

    long nanos() {
      return get() * 1_000_000L;
    }

    @Override
    public long currentTimeNanos() {
      return nanos();
    }

    @Override
    public boolean isWallClockBased() {
      return false;
    }
  }

  static long nowMillis(Ticker ticker) {
    return Math.floorDiv(ticker.read(), 1_000_000L);
  }

  /** Token bucket: one lock-free bucket4j bucket per key, one bandwidth per limit. */
  static final class BucketStore implements Store {
    private final LimitSpec[] limits;
    private final Cache<String, Bucket> buckets;
    private final MillisClock clock;
    private final Function<String, Bucket> newBucket = this::newBucket;

    BucketStore(LimitSpec[] limits, Cache<String, Bucket> buckets, MillisClock clock) {
      this.limits = limits;
      this.buckets = buckets;
      this.clock = clock;
    }

    private Bucket newBucket(String key) {
      LocalBucketBuilder b = Bucket.builder().withCustomTimePrecision(clock);
      for (LimitSpec l : limits) {
        b.addLimit(limit -> limit.capacity(l.capacity()).refillGreedy(l.quota(), l.period()));
      }
      return b.build();
    }

    @Override
    public long keys() {
      return buckets.estimatedSize();
    }

    @Override
    public Outcome decide(String key, long permits, long maxPermits) {
      long now = clock.tick();
      Bucket bucket = buckets.get(key, newBucket);
      if (limits.length == 1) {
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(permits);
        LimitSpec l = limits[0];
        if (probe.isConsumed()) {
          return new Outcome(true, permits, 0, l.capacity(), probe.getRemainingTokens(),
              millisCeil(probe.getNanosToWaitForReset()), 0, now);
        }
        return new Outcome(false, 0, 0, l.capacity(), probe.getRemainingTokens(),
            millisCeil(probe.getNanosToWaitForReset()),
            Math.max(1, millisCeil(probe.getNanosToWaitForRefill())), now);
      }
      VerboseResult<ConsumptionProbe> result = bucket.asVerbose().tryConsumeAndReturnRemaining(permits);
      BucketState state = result.getState();
      now = Math.floorDiv(result.getOperationTimeNanos(), 1_000_000L);
      long[] s = new long[3 * limits.length];
      for (int i = 0; i < limits.length; i++) {
        s[3 * i] = state.getCurrentSize(i);
        s[3 * i + 1] = now;
        s[3 * i + 2] = Math.floorDiv(state.getRoundingError(i), 1_000_000L);
      }
      return summarize(Algorithm.TOKEN_BUCKET, limits, s, now, permits,
          result.getValue().isConsumed());
    }

    private static long millisCeil(long nanos) {
      return CounterMath.ceilDiv(nanos, 1_000_000L);
    }
  }

  /**
   * Builds the outcome from a state already brought to {@code now} and, if {@code allowed},
   * already charged; the same binding rules as {@link CounterMath#decide}.
   */
  static Outcome summarize(Algorithm alg, LimitSpec[] limits, long[] s, long now, long n,
      boolean allowed) {
    int binding = 0;
    if (!allowed) {
      long worst = -1;
      for (int i = 0; i < limits.length; i++) {
        if (CounterMath.avail(alg, limits[i], s, 3 * i, now) < n) {
          long wait = CounterMath.retry(alg, limits[i], s, 3 * i, now, n);
          if (wait > worst) {
            worst = wait;
            binding = i;
          }
        }
      }
      LimitSpec b = limits[binding];
      return new Outcome(false, 0, binding, b.capacity(),
          CounterMath.avail(alg, b, s, 3 * binding, now),
          CounterMath.reset(alg, b, s, 3 * binding, now), Math.max(1, worst), now);
    }
    long least = Long.MAX_VALUE;
    for (int i = 0; i < limits.length; i++) {
      long left = CounterMath.avail(alg, limits[i], s, 3 * i, now);
      if (left < least) {
        least = left;
        binding = i;
      }
    }
    LimitSpec b = limits[binding];
    return new Outcome(true, n, binding, b.capacity(), least,
        CounterMath.reset(alg, b, s, 3 * binding, now), 0, now);
  }

  /** Fixed window, sliding window and GCRA: an immutable state array per key, swapped by CAS. */
  static final class CounterStore implements Store {
    private final Algorithm algorithm;
    private final LimitSpec[] limits;
    private final Cache<String, Cell> cells;
    private final MillisClock clock;
    private final Function<String, Cell> newCell;

    CounterStore(Algorithm algorithm, LimitSpec[] limits, Cache<String, Cell> cells, MillisClock clock) {
      this.algorithm = algorithm;
      this.limits = limits;
      this.cells = cells;
      this.clock = clock;
      this.newCell = k -> new Cell(CounterMath.fresh(limits.length));
    }

    @Override
    public long keys() {
      return cells.estimatedSize();
    }

    @Override
    public Outcome decide(String key, long permits, long maxPermits) {
      long now = clock.tick();
      Cell cell = cells.get(key, newCell);
      while (true) {
        long[] current = cell.get();
        long[] next = current.clone();
        Outcome o = CounterMath.decide(algorithm, limits, next, now, permits, maxPermits);
        if (!o.allowed() || cell.compareAndSet(current, next)) {
          return o;
        }
        now = clock.tick();
      }
    }
  }

  /** One key's state; replaced as a whole, never mutated after publication. */
  static final class Cell extends AtomicReference<long[]> {
    private static final long serialVersionUID = 1L;

    Cell(long[] initial) {
      super(initial);
    }
  }
}
