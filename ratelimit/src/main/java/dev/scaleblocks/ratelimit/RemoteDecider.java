package dev.scaleblocks.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards a remote store: every call runs on a bounded executor (fixed threads, bounded queue) and
 * the caller waits at most the store timeout; a full queue, a timeout, an error or an open circuit
 * breaker makes the failure policy decide instead. The first failure after a success logs a
 * warning and counts a switch; the first success after failures logs and counts the way back.
 *
 * <h2>Leasing</h2>
 *
 * <p>With leasing on, a miss asks Redis for up to {@code k} permits in the same single script call
 * (never fewer than the request needs); the surplus becomes this instance's lease for the key,
 * served by a CAS on a local counter until it runs out or its hold time ends (the configured
 * hold; for fixed windows at most the window's end, so a fixed-window lease never outlives its
 * window). Refills of one key are serialised by a per-key lock, and a new lease replaces the old
 * one (leftovers are dropped, never added), so each instance holds at most
 * {@code k} unserved permits per key. Every permit served was taken from Redis first; the only
 * error is timing: permits taken in one window may be served in the next, so over any interval
 * the admissions exceed the policy's allowance by at most {@code instances × k}.
 *
 * <p>Thread-safe.
 */
final class RemoteDecider implements Decider {

  private static final Logger log = LoggerFactory.getLogger(RemoteDecider.class);

  private final String policyName;
  private final Store store;
  private final @Nullable Store fallbackStore;
  private final long fallbackCapacity;
  private final LimitSpec[] limits;
  private final FailurePolicy failurePolicy;
  private final CircuitBreaker breaker;
  private final ThreadPoolExecutor executor;
  private final long timeoutNanos;
  private final Ticker ticker;
  private final long leasePermits;
  private final long leaseHoldNanos;
  private final boolean capHoldAtReset;
  private final @Nullable Cache<String, LeaseCell> leases;

  private final AtomicBoolean degraded = new AtomicBoolean();
  private final Timer latency;
  private final Counter fallbacks;
  private final Counter toFallback;
  private final Counter toStore;
  private final Counter leaseHits;
  private final Counter storeCalls;

  RemoteDecider(String policyName, Store store, @Nullable Store fallbackStore,
      long fallbackCapacity, LimitSpec[] limits,
      FailurePolicy failurePolicy, CircuitBreaker breaker, ThreadPoolExecutor executor,
      Duration timeout, Ticker ticker, long leasePermits, Duration leaseHold, boolean capHoldAtReset,
      long maximumKeys, MeterRegistry registry) {
    this.policyName = policyName;
    this.store = store;
    this.fallbackStore = fallbackStore;
    this.fallbackCapacity = fallbackCapacity;
    this.limits = limits;
    this.failurePolicy = failurePolicy;
    this.breaker = breaker;
    this.executor = executor;
    this.timeoutNanos = timeout.toNanos();
    this.ticker = ticker;
    this.leasePermits = leasePermits;
    this.leaseHoldNanos = leaseHold.toNanos();
    this.capHoldAtReset = capHoldAtReset;
    this.leases = leasePermits > 1
        ? Caffeine.newBuilder()
            .maximumSize(maximumKeys)
            .expireAfterAccess(leaseHold)
            .ticker(ticker::read)
            .<String, LeaseCell>build()
        : null;
    String mode = failurePolicy.name().toLowerCase(Locale.ROOT);
    this.latency = Timer.builder("scaleblocks.ratelimit.store.latency")
        .tag("policy", policyName).tag("store", "redis")
        .description("time to a decision from the remote store, as the caller waited for it")
        .register(registry);
    this.fallbacks = Counter.builder("scaleblocks.ratelimit.fallbacks")
        .tag("policy", policyName).tag("mode", mode)
        .description("decisions made by the failure policy because the store did not answer")
        .register(registry);
    this.toFallback = Counter.builder("scaleblocks.ratelimit.store.switches")
        .tag("policy", policyName).tag("to", mode)
        .description("switches between the store and the failure policy")
        .register(registry);
    this.toStore = Counter.builder("scaleblocks.ratelimit.store.switches")
        .tag("policy", policyName).tag("to", "store")
        .description("switches between the store and the failure policy")
        .register(registry);
    this.leaseHits = Counter.builder("scaleblocks.ratelimit.decisions.source")
        .tag("policy", policyName).tag("source", "lease")
        .description("decisions served from a local lease or by a store call")
        .register(registry);
    this.storeCalls = Counter.builder("scaleblocks.ratelimit.decisions.source")
        .tag("policy", policyName).tag("source", "store")
        .description("decisions served from a local lease or by a store call")
        .register(registry);
  }

  @Override
  public Outcome decide(String key, long permits) {
    if (leases != null) {
      Outcome o = serveFromLease(key, permits);
      if (o != null) {
        return o;
      }
    }
    if (!breaker.tryAcquirePermission()) {
      return fallback(key, permits, "circuit breaker open");
    }
    long start = ticker.read();
    Future<Outcome> future;
    try {
      future = executor.submit(() -> callStore(key, permits));
    } catch (RejectedExecutionException e) {
      breaker.onError(0, e);
      return fallback(key, permits, "store queue full");
    }
    try {
      Outcome o = future.get(timeoutNanos, TimeUnit.NANOSECONDS);
      succeeded(ticker.read() - start);
      return o;
    } catch (TimeoutException e) {
      future.cancel(false);
      breaker.onError(ticker.read() - start, e);
      return fallback(key, permits, "no answer within " + Duration.ofNanos(timeoutNanos));
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      breaker.onError(ticker.read() - start, cause);
      return fallback(key, permits, cause.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      breaker.onError(ticker.read() - start, e);
      return fallback(key, permits, "interrupted");
    }
  }

  @Override
  public CompletableFuture<Outcome> decideAsync(String key, long permits) {
    if (leases != null) {
      Outcome o = serveFromLease(key, permits);
      if (o != null) {
        return CompletableFuture.completedFuture(o);
      }
    }
    if (!breaker.tryAcquirePermission()) {
      return CompletableFuture.completedFuture(fallback(key, permits, "circuit breaker open"));
    }
    long start = ticker.read();
    CompletableFuture<Outcome> call;
    try {
      call = CompletableFuture.supplyAsync(() -> {
        try {
          return callStore(key, permits);
        } catch (InterruptedException | TimeoutException e) {
          throw new CompletionException(e);
        }
      }, executor);
    } catch (RejectedExecutionException e) {
      breaker.onError(0, e);
      return CompletableFuture.completedFuture(fallback(key, permits, "store queue full"));
    }
    return call.orTimeout(timeoutNanos, TimeUnit.NANOSECONDS).handle((o, error) -> {
      long took = ticker.read() - start;
      if (error == null) {
        succeeded(took);
        return o;
      }
      Throwable cause = error.getCause() != null ? error.getCause() : error;
      breaker.onError(took, cause);
      return fallback(key, permits, cause instanceof TimeoutException
          ? "no answer within " + Duration.ofNanos(timeoutNanos) : cause.toString());
    });
  }

  @Override
  public void close() {
    executor.shutdown();
  }

  private void succeeded(long nanos) {
    breaker.onSuccess(nanos);
    latency.record(nanos, TimeUnit.NANOSECONDS);
    if (degraded.get() && degraded.compareAndSet(true, false)) {
      toStore.increment();
      log.info("rate limiter {}: store answers again, deciding in Redis", policyName);
    }
  }

  private Outcome fallback(String key, long permits, String reason) {
    fallbacks.increment();
    if (!degraded.get() && degraded.compareAndSet(false, true)) {
      toFallback.increment();
      log.warn("rate limiter {}: store failed ({}), deciding by {} until it answers again",
          policyName, reason, failurePolicy);
    }
    long now = LocalStores.nowMillis(ticker);
    LimitSpec first = limits[0];
    Store local = fallbackStore;
    if (failurePolicy == FailurePolicy.FAIL_OPEN) {
      return new Outcome(true, permits, 0, first.capacity(),
          Math.max(0, first.capacity() - permits), 0, 0, now);
    }
    if (failurePolicy == FailurePolicy.LOCAL_FALLBACK && local != null
        && permits <= fallbackCapacity) {
      return local.decide(key, permits, permits);
    }
    // FAIL_CLOSED, or more permits than the local share can ever admit
    return new Outcome(false, 0, 0, first.capacity(), 0, 1000, 1000, now);
  }

  /** Runs on the store executor. */
  private Outcome callStore(String key, long permits) throws InterruptedException, TimeoutException {
    Cache<String, LeaseCell> leaseCache = leases;
    if (leaseCache == null) {
      storeCalls.increment();
      return store.decide(key, permits, permits);
    }
    LeaseCell cell = leaseCache.get(key, k -> new LeaseCell());
    if (!cell.lock.tryLock(timeoutNanos, TimeUnit.NANOSECONDS)) {
      throw new TimeoutException("another lease of this key is still being taken");
    }
    try {
      long now = ticker.read();
      Outcome served = cell.tryServe(permits, now);
      if (served != null) {
        leaseHits.increment();
        return served;
      }
      Lease old = cell.lease;
      if (old != null) {
        old.left.set(0); // leftovers too small for this request are dropped, never carried
      }
      storeCalls.increment();
      Outcome o = store.decide(key, permits, Math.max(permits, leasePermits));
      if (o.allowed() && o.granted() > permits) {
        long hold = leaseHoldNanos;
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

  private @Nullable Outcome serveFromLease(String key, long permits) {
    Cache<String, LeaseCell> leaseCache = leases;
    LeaseCell cell = leaseCache == null ? null : leaseCache.getIfPresent(key);
    if (cell == null) {
      return null;
    }
    Outcome o = cell.tryServe(permits, ticker.read());
    if (o != null) {
      leaseHits.increment();
    }
    return o;
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
