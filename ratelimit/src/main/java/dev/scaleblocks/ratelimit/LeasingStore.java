package dev.scaleblocks.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.scaleblocks.core.Ticker;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A {@link CounterStore} decorator that leases: a miss asks the inner store for up to {@code k}
 * permits in its one call (never fewer than the request needs); the surplus becomes this
 * instance's lease for the key, served by a CAS on a local counter ({@link #answerFromMemory})
 * until it runs out or its hold time ends (the configured hold; for fixed windows at most the
 * window's end, so a fixed-window lease never outlives its window). Refills of one key are
 * serialised by a per-key lock, and a new lease replaces the old one (leftovers are dropped, never
 * added), so each instance holds at most {@code k} unserved permits per key. Every permit served
 * was taken from the inner store first; the only error is timing: permits taken in one window may
 * be served in the next, so over any interval the admissions exceed the policy's allowance by at
 * most {@code instances × k}.
 *
 * <p>It sits between the Redis store and the {@link GuardedStore}: the guard serves lease hits on
 * the caller's thread before anything else, and runs {@link #decide} (a refill) like any store
 * call. Waiting for another refill of the same key is a local wait, bounded by {@code
 * lockTimeout}, and ends in {@link LocalWaitTimeout} — never counted against Redis.
 *
 * <p>Thread-safe. A hit costs a cache lookup, a CAS and its {@link StoreAnswer}; a refill the
 * per-key lock and one inner call. Leases live in a Caffeine cache bounded to {@code maximumKeys}
 * and expiring {@code hold} after their last use. Blocks (the lock): never refill on an event
 * loop.
 */
final class LeasingStore implements CounterStore {

  private final CounterStore inner;
  private final long leasePermits;
  private final long holdNanos;
  private final boolean capHoldAtReset;
  private final long lockTimeoutNanos;
  private final Ticker ticker;
  private final Cache<String, LeaseCell> cells;
  private final Counter hits;

  /**
   * @param leasePermits {@code k}, the most permits one call takes
   * @param capHoldAtReset whether a lease ends at its window's reset (fixed windows)
   * @param hits counts decisions served from a lease
   */
  LeasingStore(CounterStore inner, long leasePermits, Duration hold, boolean capHoldAtReset,
      Duration lockTimeout, long maximumKeys, Ticker ticker, Counter hits) {
    this.inner = inner;
    this.leasePermits = leasePermits;
    this.holdNanos = hold.toNanos();
    this.capHoldAtReset = capHoldAtReset;
    this.lockTimeoutNanos = lockTimeout.toNanos();
    this.ticker = ticker;
    this.cells = Caffeine.newBuilder()
        .maximumSize(maximumKeys)
        .expireAfterAccess(hold)
        .ticker(ticker::read)
        .build();
    this.hits = hits;
  }

  /** Serves {@code permits} from this key's lease, or returns null (no lease, or too few left). */
  @Override
  public @Nullable StoreAnswer answerFromMemory(String key, long permits) {
    LeaseCell cell = cells.getIfPresent(key);
    if (cell == null) {
      return null;
    }
    StoreAnswer a = cell.tryServe(permits, ticker.read());
    if (a != null) {
      hits.increment();
    }
    return a;
  }

  /**
   * A refill: serves from a lease another thread just took, or takes a new one of up to {@code
   * k} (or {@code maxPermits} if more) permits from the inner store.
   */
  @Override
  public StoreAnswer decide(String key, long permits, long maxPermits, Progress progress)
      throws InterruptedException, LocalWaitTimeout {
    LeaseCell cell = cells.get(key, k -> new LeaseCell());
    if (!cell.lock.tryLock(lockTimeoutNanos, TimeUnit.NANOSECONDS)) {
      throw new LocalWaitTimeout("another lease of this key is still being taken");
    }
    try {
      long now = ticker.read();
      StoreAnswer served = cell.tryServe(permits, now);
      if (served != null) {
        hits.increment();
        return served;
      }
      Lease old = cell.lease;
      if (old != null) {
        old.left.set(0); // leftovers too small for this request are dropped, never carried
      }
      StoreAnswer a = inner.decide(key, permits, Math.max(maxPermits, leasePermits), progress);
      if (a.allowed() && a.granted() > permits) {
        long hold = holdNanos;
        if (capHoldAtReset) {
          // a fixed-window lease never outlives its window: no carry-over, no over-admission
          hold = Math.min(hold, Math.max(1, a.resetMillis()) * 1_000_000L);
        }
        cell.lease = new Lease(a.granted() - permits, now + hold, a, now);
      } else {
        cell.lease = null;
      }
      return a;
    } finally {
      cell.lock.unlock();
    }
  }

  /**
   * Puts {@code permits} back into {@code lease} if it is still the key's lease and has not
   * expired, never above its size; false otherwise (the caller then refunds the inner store). One
   * CAS; never waits.
   */
  @Override
  public boolean refundToMemory(String key, long permits, Lease lease) {
    LeaseCell cell = cells.getIfPresent(key);
    if (cell == null || cell.lease != lease || ticker.read() - lease.expiresAt >= 0) {
      return false;
    }
    while (true) {
      long v = lease.left.get();
      if (v == 0 && cell.lease != lease) {
        return false; // dropped by a refill meanwhile: its leftovers are never carried
      }
      long back = Math.min(lease.size, v + permits);
      if (back == v) {
        return false;
      }
      if (lease.left.compareAndSet(v, back)) {
        return true;
      }
    }
  }

  /** Refunds the inner store: permits of an admission that did not come from a lease. */
  @Override
  public boolean refund(String key, long permits, long atMillis) {
    return inner.refund(key, permits, atMillis);
  }

  /**
   * Permits leased for one key, served locally; the {@link Origin} of the admissions it serves, so
   * that a refund of one goes back into it while it lasts. Immutable but for the counter.
   */
  static final class Lease implements Origin {
    final AtomicLong left;
    /** The permits it was given: a refund never fills it above them. */
    final long size;
    final long expiresAt;
    final StoreAnswer grant;
    final long grantedAt;

    Lease(long left, long expiresAt, StoreAnswer grant, long grantedAt) {
      this.left = new AtomicLong(left);
      this.size = left;
      this.expiresAt = expiresAt;
      this.grant = grant;
      this.grantedAt = grantedAt;
    }

    /** When the inner store took its permits, on the inner store's clock. */
    long takenAtMillis() {
      return grant.nowMillis();
    }
  }

  private static final class LeaseCell {
    final ReentrantLock lock = new ReentrantLock();
    volatile @Nullable Lease lease;

    @Nullable StoreAnswer tryServe(long permits, long now) {
      Lease l = lease;
      if (l == null || now - l.expiresAt >= 0) {
        return null;
      }
      while (true) {
        long v = l.left.get();
        if (v < permits) {
          return null;
        }
        if (l.left.compareAndSet(v, v - permits)) {
          long elapsedMillis = (now - l.grantedAt) / 1_000_000L;
          StoreAnswer g = l.grant;
          return new StoreAnswer(true, permits, g.binding(), g.limit(),
              Math.min(g.limit(), g.remaining() + v - permits),
              Math.max(0, g.resetMillis() - elapsedMillis), 0, g.nowMillis() + elapsedMillis, l);
        }
      }
    }
  }
}
