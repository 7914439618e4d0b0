package dev.scaleblocks.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.scaleblocks.core.Ticker;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The in-memory {@link CounterStore}: per-key state in a Caffeine cache bounded to {@code
 * maximumKeys} entries (least valuable evicted first; an evicted key starts fresh), one mutable
 * state array per key, changed in place under the key's {@link Cell} lock and decided by {@link
 * CounterMath} — the arithmetic the Lua script transcribes, so local and Redis decide identically.
 * It is the local limiter's store and the remote path's local share.
 *
 * <p>Why a lock rather than the copy-and-CAS of a lock-free bucket: the copy cost an array per
 * decision (40 B), and two threads on one key threw away each other's copies, so a contended key
 * slowed down more than the lock costs. The critical section is the arithmetic alone (about 20 ns:
 * no I/O, no allocation, no callback, no meter); the clock is read and the key looked up before
 * it, the decision built and counted after it.
 *
 * <p>Thread-safe; never waits but for another thread's critical section on the same key. Cost per
 * decision: a ticker read, a cache lookup and the arithmetic. {@link #decide(String, long,
 * DecisionRecorder)} and {@link #allow} build no {@link StoreAnswer} for a single limit: the first
 * allocates only its {@link Decision} (and, when it admits, the {@link Admission} a refund needs),
 * the second nothing.
 */
final class LocalCounterStore implements CounterStore {

  static LocalCounterStore create(Algorithm algorithm, LimitSpec[] limits, long maximumKeys,
      Ticker ticker, @Nullable Executor cacheExecutor) {
    // Bounded by size only. Expire-after-access cost 60-90 ns per lookup (JMH, 2 cores) against
    // 5 ns without it, and it never changed a decision (an entry idle that long is as good as
    // fresh), so idle keys now stay until the size bound evicts them: memory is bounded by
    // maximumKeys either way.
    return new LocalCounterStore(algorithm, limits, cells(maximumKeys, cacheExecutor),
        new MillisClock(ticker));
  }

  /** The bounded per-key map of a store; see {@link #create}. */
  static Cache<String, Cell> cells(long maximumKeys, @Nullable Executor cacheExecutor) {
    Caffeine<Object, Object> b = Caffeine.newBuilder().maximumSize(maximumKeys);
    if (cacheExecutor != null) {
      b.executor(cacheExecutor);
    }
    return b.build();
  }

  /**
   * A store over {@code cells}, which other stores of the same algorithm and periods share (the
   * plans of one {@link TenantPolicies}): a key keeps its state whichever of them decides it.
   */
  static LocalCounterStore over(Cache<String, Cell> cells, Algorithm algorithm, LimitSpec[] limits,
      Ticker ticker) {
    return new LocalCounterStore(algorithm, limits, cells, new MillisClock(ticker));
  }

  private final Algorithm algorithm;
  private final LimitSpec[] limits;
  private final Cache<String, Cell> cells;
  private final MillisClock clock;
  private final Function<String, Cell> newCell;

  private LocalCounterStore(Algorithm algorithm, LimitSpec[] limits, Cache<String, Cell> cells,
      MillisClock clock) {
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

  /** Decides in memory; never waits for anything but a key's critical section. */
  @Override
  public StoreAnswer decide(String key, long permits, long maxPermits, Progress progress) {
    return decide(key, permits, maxPermits);
  }

  /** {@link #decide(String, long, long, Progress)} without a listener. */
  StoreAnswer decide(String key, long permits, long maxPermits) {
    long now = clock.tick();
    Cell cell = cells.get(key, newCell);
    cell.lock();
    try {
      return CounterMath.decide(algorithm, limits, cell.s, now, permits, maxPermits);
    } finally {
      cell.unlock();
    }
  }

  /**
   * Decides {@code permits} for {@code key} (no lease) and builds the decision through {@code
   * out}, without a {@link StoreAnswer} when the policy has one limit.
   */
  Decision decide(String key, long permits, DecisionRecorder out) {
    if (limits.length != 1) {
      return out.decision(decide(key, permits, permits), key, permits);
    }
    // one limit, no lease: CounterMath.decide unrolled, without the StoreAnswer
    LimitSpec l = limits[0];
    Algorithm alg = algorithm;
    long now = clock.tick();
    Cell cell = cells.get(key, newCell);
    long[] s = cell.s;
    boolean admitted;
    long avail;
    long reset;
    long retry = 0;
    cell.lock();
    try {
      CounterMath.advance(alg, l, s, 0, now);
      avail = CounterMath.avail(alg, l, s, 0, now);
      admitted = avail >= permits;
      if (admitted) {
        CounterMath.consume(alg, l, s, 0, permits);
        avail = CounterMath.avail(alg, l, s, 0, now);
      } else {
        retry = Math.max(1, CounterMath.retry(alg, l, s, 0, now, permits));
      }
      reset = CounterMath.reset(alg, l, s, 0, now);
    } finally {
      cell.unlock();
    }
    return admitted
        ? out.admitted(0, l.capacity(), avail, reset, key, permits, now)
        : out.rejected(0, l.capacity(), avail, reset, retry);
  }

  /**
   * Decides as {@link #decide(String, long, DecisionRecorder)} and returns whether the caller
   * proceeds, counted through {@code out}; builds nothing when the policy has one limit.
   */
  boolean allow(String key, long permits, DecisionRecorder out) {
    if (limits.length != 1) {
      return out.count(decide(key, permits, permits));
    }
    // one limit: as decide(key, permits, out), without the reset and retry times and the Decision
    LimitSpec l = limits[0];
    Algorithm alg = algorithm;
    long now = clock.tick();
    Cell cell = cells.get(key, newCell);
    long[] s = cell.s;
    long avail;
    boolean admitted;
    cell.lock();
    try {
      CounterMath.advance(alg, l, s, 0, now);
      avail = CounterMath.avail(alg, l, s, 0, now);
      admitted = avail >= permits;
      if (admitted) {
        CounterMath.consume(alg, l, s, 0, permits);
        avail = CounterMath.avail(alg, l, s, 0, now);
      }
    } finally {
      cell.unlock();
    }
    return admitted ? out.countAllowed(l.capacity(), avail) : out.countRejected();
  }

  /**
   * Gives back {@code permits} for {@code key} admitted at {@code atMillis} (see {@link
   * CounterMath#refund}); returns whether anything was given back. A key no longer held (evicted)
   * is full: nothing to do.
   */
  @Override
  public boolean refund(String key, long permits, long atMillis) {
    long now = clock.tick();
    Cell cell = cells.getIfPresent(key);
    if (cell == null) {
      return false;
    }
    cell.lock();
    try {
      return CounterMath.refund(algorithm, limits, cell.s, now, permits, atMillis);
    } finally {
      cell.unlock();
    }
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
   * One key's state: the counters, changed in place while the cell's lock is held, and the lock
   * itself (this {@code AtomicInteger}: 0 free, 1 held).
   *
   * <p>A lock rather than {@code synchronized} or a {@code ReentrantLock}: it is held for the
   * arithmetic alone, and taking and releasing it free is one compare-and-set and one ordered
   * store (a monitor costs a second atomic instruction: 4–5 ns more per decision, measured).
   *
   * <p>A waiter tries {@value #SPINS} times, spinning between tries, then parks for a moment
   * ({@code parkNanos}; about 50 µs on Linux, its timer slack) before each further try. Parking
   * early is what keeps a hot key fast: when waiters spun until the lock was free, two threads on
   * one key passed its cache lines from core to core on every decision and took 110–370 ns per
   * decision (JMH, 5 forks); with the waiter parked, the holder runs on with the lines in its own
   * cache and the threads take turns in runs: 70–86 ns. The price is the parked waiter's wait.
   * Nothing under the lock blocks, so a virtual thread holding it pins its carrier for nanoseconds
   * only. Not reentrant.
   */
  static final class Cell extends AtomicInteger {
    private static final long serialVersionUID = 1L;
    private static final int SPINS = 4;
    private static final long PARK_NANOS = 1_000;

    /** Guarded by this cell's lock. */
    final long[] s;

    Cell(long[] initial) {
      this.s = initial;
    }

    void lock() {
      if (!compareAndSet(0, 1)) {
        contended();
      }
    }

    private void contended() {
      int spins = 0;
      do {
        if (++spins < SPINS) {
          Thread.onSpinWait();
        } else {
          LockSupport.parkNanos(this, PARK_NANOS);
        }
      } while (get() != 0 || !compareAndSet(0, 1));
    }

    void unlock() {
      setRelease(0);
    }
  }
}
