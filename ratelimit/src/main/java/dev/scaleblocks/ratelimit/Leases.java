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
 * Leasing, between the guard and the store: a miss asks Redis for up to {@code k} permits in the
 * same single script call (never fewer than the request needs); the surplus becomes this
 * instance's lease for the key, served by a CAS on a local counter until it runs out or its hold
 * time ends (the configured hold; for fixed windows at most the window's end, so a fixed-window
 * lease never outlives its window). Refills of one key are serialised by a per-key lock, and a new
 * lease replaces the old one (leftovers are dropped, never added), so each instance holds at most
 * {@code k} unserved permits per key. Every permit served was taken from Redis first; the only
 * error is timing: permits taken in one window may be served in the next, so over any interval
 * the admissions exceed the policy's allowance by at most {@code instances × k}.
 *
 * <p>Waiting for another refill of the same key is a local wait, bounded by the store timeout,
 * and never counted against Redis.
 *
 * <p>Thread-safe.
 */
final class Leases {

  private final Store store;
  private final long leasePermits;
  private final long holdNanos;
  private final boolean capHoldAtReset;
  private final long lockTimeoutNanos;
  private final Ticker ticker;
  private final Cache<String, LeaseCell> cells;
  private final Counter hits;
  private final Counter storeCalls;

  Leases(Store store, long leasePermits, Duration hold, boolean capHoldAtReset,
      long lockTimeoutNanos, long maximumKeys, Ticker ticker, Counter hits, Counter storeCalls) {
    this.store = store;
    this.leasePermits = leasePermits;
    this.holdNanos = hold.toNanos();
    this.capHoldAtReset = capHoldAtReset;
    this.lockTimeoutNanos = lockTimeoutNanos;
    this.ticker = ticker;
    this.cells = Caffeine.newBuilder()
        .maximumSize(maximumKeys)
        .expireAfterAccess(hold)
        .ticker(ticker::read)
        .build();
    this.hits = hits;
    this.storeCalls = storeCalls;
  }

  /** Serves {@code permits} from this key's lease, or returns null (no lease, or too few left). */
  @Nullable Outcome serve(String key, long permits) {
    LeaseCell cell = cells.getIfPresent(key);
    if (cell == null) {
      return null;
    }
    Outcome o = cell.tryServe(permits, ticker.read());
    if (o != null) {
      hits.increment();
    }
    return o;
  }

  /** On a store thread: serves from a lease another thread just took, or takes a new one. */
  Outcome refill(String key, long permits, StoreGuard.Attempt attempt)
      throws InterruptedException, StoreGuard.LocalWaitTimeout {
    LeaseCell cell = cells.get(key, k -> new LeaseCell());
    if (!cell.lock.tryLock(lockTimeoutNanos, TimeUnit.NANOSECONDS)) {
      throw new StoreGuard.LocalWaitTimeout("another lease of this key is still being taken");
    }
    try {
      long now = ticker.read();
      Outcome served = cell.tryServe(permits, now);
      if (served != null) {
        hits.increment();
        return served;
      }
      Lease old = cell.lease;
      if (old != null) {
        old.left.set(0); // leftovers too small for this request are dropped, never carried
      }
      storeCalls.increment();
      attempt.enterRedis();
      Outcome o = store.decide(key, permits, Math.max(permits, leasePermits));
      if (o.allowed() && o.granted() > permits) {
        long hold = holdNanos;
        if (capHoldAtReset) {
          // a fixed-window lease never outlives its window: no carry-over, no over-admission
          hold = Math.min(hold, Math.max(1, o.resetMillis()) * 1_000_000L);
        }
        cell.lease = new Lease(o.granted() - permits, now + hold, o, now);
      } else {
        cell.lease = null;
      }
      return o;
    } finally {
      cell.lock.unlock();
    }
  }

  /** Permits leased for one key, served locally. Immutable but for the counter. */
  private static final class Lease {
    final AtomicLong left;
    final long expiresAt;
    final Outcome grant;
    final long grantedAt;

    Lease(long left, long expiresAt, Outcome grant, long grantedAt) {
      this.left = new AtomicLong(left);
      this.expiresAt = expiresAt;
      this.grant = grant;
      this.grantedAt = grantedAt;
    }
  }

  private static final class LeaseCell {
    final ReentrantLock lock = new ReentrantLock();
    volatile @Nullable Lease lease;

    @Nullable Outcome tryServe(long permits, long now) {
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
          Outcome g = l.grant;
          return new Outcome(true, permits, g.binding(), g.limit(),
              Math.min(g.limit(), g.remaining() + v - permits),
              Math.max(0, g.resetMillis() - elapsedMillis), 0, g.nowMillis() + elapsedMillis);
        }
      }
    }
  }
}
