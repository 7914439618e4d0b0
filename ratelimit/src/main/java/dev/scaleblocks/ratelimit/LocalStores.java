package dev.scaleblocks.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.scaleblocks.core.Ticker;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * In-memory stores: per-key state in a Caffeine cache bounded to {@code maximumKeys} entries
 * (least valuable evicted first; an evicted key starts fresh).
 */
final class LocalStores {

  private LocalStores() {}

  static Store create(Algorithm algorithm, LimitSpec[] limits, long maximumKeys, Ticker ticker,
      @Nullable Executor cacheExecutor) {
    // Bounded by size only. Expire-after-access cost 60-90 ns per lookup (JMH, 2 cores) against
    // 5 ns without it, and it never changed a decision (an entry idle that long is as good as
    // fresh), so idle keys now stay until the size bound evicts them: memory is bounded by
    // maximumKeys either way.
    Caffeine<Object, Object> b = Caffeine.newBuilder().maximumSize(maximumKeys);
    if (cacheExecutor != null) {
      b.executor(cacheExecutor);
    }
    return new CounterStore(algorithm, limits, b.build(), new MillisClock(ticker));
  }

  /**
   * The ticker read once per decision, floored to whole milliseconds and kept, so that the time a
   * key's state saw only moves forward (a CAS, at most once per millisecond under contention).
   */
  static final class MillisClock extends AtomicLong {
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
  }

  static long nowMillis(Ticker ticker) {
    return Math.floorDiv(ticker.read(), 1_000_000L);
  }

  /**
   * Every algorithm: an immutable state array per key, swapped by compare-and-set (as a lock-free
   * bucket4j bucket swaps its state), decided by {@link CounterMath} — the arithmetic the Lua script
   * transcribes, so local and Redis decide identically.
   */
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
        long[] current = cell.counters();
        long[] next = current.clone();
        Outcome o = CounterMath.decide(algorithm, limits, next, now, permits, maxPermits);
        if (!o.allowed() || cell.compareAndSet(current, next)) {
          return o;
        }
        now = clock.tick();
      }
    }

    @Override
    public Decision decide(String key, long permits, Decisions out) {
      if (limits.length != 1) {
        return out.of(decide(key, permits, permits));
      }
      // one limit, no lease: CounterMath.decide unrolled, without the Outcome
      LimitSpec l = limits[0];
      Algorithm alg = algorithm;
      long now = clock.tick();
      Cell cell = cells.get(key, newCell);
      while (true) {
        long[] current = cell.counters();
        long[] next = current.clone();
        CounterMath.advance(alg, l, next, 0, now);
        long avail = CounterMath.avail(alg, l, next, 0, now);
        if (avail < permits) {
          return out.rejected(0, l.capacity(), avail, CounterMath.reset(alg, l, next, 0, now),
              Math.max(1, CounterMath.retry(alg, l, next, 0, now, permits)));
        }
        CounterMath.consume(alg, l, next, 0, permits);
        if (cell.compareAndSet(current, next)) {
          return out.allowed(0, l.capacity(), CounterMath.avail(alg, l, next, 0, now),
              CounterMath.reset(alg, l, next, 0, now));
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

    /** The counters; never null: a cell starts with an array and is only set to another. */
    @SuppressWarnings("NullAway") // AtomicReference.get() is modelled as nullable; see above
    long[] counters() {
      return get();
    }
  }
}
