package dev.scaleblocks.ratelimit;

import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.internal.OwnedMeters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The remote path, as small pieces: the store (one script call to Redis) → {@link Leases}
 * (optional) → {@link StoreGuard} (executor, timeout, breaker) → the failure policy or the local
 * share, and the result turned into an {@link Outcome} here, once.
 *
 * <ul>
 *   <li>Redis answered: its outcome.
 *   <li>Redis failed, did not answer in time, or its breaker is open: the failure policy decides
 *       (FAIL_OPEN admits, FAIL_CLOSED rejects, LOCAL_FALLBACK asks the local share). FAIL_OPEN
 *       admits blindly only once the breaker has opened; a call that failed while it is still
 *       closed is one request, not an outage, and the local share decides it.
 *   <li>This client could not start the call in time (store threads busy, queue full, a lease lock
 *       held too long) while Redis is fine: the local share decides — {@code quota / instances}
 *       per instance in memory — or, for FAIL_CLOSED, the request is rejected. A busy client is
 *       not a sick Redis: the breaker is not told and the failure policy does not fire.
 * </ul>
 *
 * <p>Over a client that does not block (Lettuce) and without leasing, a store call is sent from
 * the caller's thread through {@link StoreGuard#callNonBlocking} (no store thread, no hand-off),
 * and an asynchronous decision completes on the client's I/O thread. With leasing, refills take a
 * per-key lock and run on the store threads whatever the client.
 *
 * <p>Switches between Redis and the failure policy, and overload, are counted every time and
 * logged at most once per {@link #LOG_INTERVAL_NANOS} (with the number held back).
 *
 * <p>Thread-safe.
 */
final class RemoteDecider implements Decider {

  private static final Logger log = LoggerFactory.getLogger(RemoteDecider.class);
  static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final String policyName;
  private final Store store;
  private final Store localShare;
  private final long localShareCapacity;
  private final LimitSpec[] limits;
  private final FailurePolicy failurePolicy;
  private final StoreGuard guard;
  private final Ticker ticker;
  private final @Nullable Leases leases;
  /** Store calls go through the guard's non-blocking path (a Lettuce store, no leasing). */
  private final boolean nonBlocking;

  private final AtomicBoolean degraded = new AtomicBoolean();
  private final LogThrottle switchLog;
  private final LogThrottle overloadLog;
  private final Timer latency;
  private final Counter fallbacks;
  private final Counter overloads;
  private final Counter toFallback;
  private final Counter toStore;
  private final Counter storeCalls;

  RemoteDecider(String policyName, Store store, Store localShare, long localShareCapacity,
      LimitSpec[] limits, FailurePolicy failurePolicy, StoreGuard guard, Ticker ticker,
      long leasePermits, java.time.Duration leaseHold, boolean capHoldAtReset, long maximumKeys,
      OwnedMeters meters, boolean nonBlockingStore) {
    this.policyName = policyName;
    this.store = store;
    this.localShare = localShare;
    this.localShareCapacity = localShareCapacity;
    this.limits = limits;
    this.failurePolicy = failurePolicy;
    this.guard = guard;
    this.ticker = ticker;
    this.switchLog = new LogThrottle(ticker, LOG_INTERVAL_NANOS);
    this.overloadLog = new LogThrottle(ticker, LOG_INTERVAL_NANOS);
    String mode = failurePolicy.name().toLowerCase(Locale.ROOT);
    var registry = meters.registry();
    this.latency = meters.add(Timer.builder("scaleblocks.ratelimit.store.latency")
        .tag("policy", policyName).tag("store", "redis")
        .description("time to a decision from the remote store, as the caller waited for it")
        .register(registry));
    this.fallbacks = meters.add(Counter.builder("scaleblocks.ratelimit.fallbacks")
        .tag("policy", policyName).tag("mode", mode)
        .description("decisions made by the failure policy because the store did not answer")
        .register(registry));
    this.overloads = meters.add(Counter.builder("scaleblocks.ratelimit.overloaded")
        .tag("policy", policyName)
        .description("decisions made by the local share because this client could not start a "
            + "store call within the store timeout")
        .register(registry));
    this.toFallback = meters.add(Counter.builder("scaleblocks.ratelimit.store.switches")
        .tag("policy", policyName).tag("to", mode)
        .description("switches between the store and the failure policy")
        .register(registry));
    this.toStore = meters.add(Counter.builder("scaleblocks.ratelimit.store.switches")
        .tag("policy", policyName).tag("to", "store")
        .description("switches between the store and the failure policy")
        .register(registry));
    Counter leaseHits = meters.add(Counter.builder("scaleblocks.ratelimit.decisions.source")
        .tag("policy", policyName).tag("source", "lease")
        .description("decisions served from a local lease or by a store call")
        .register(registry));
    this.storeCalls = meters.add(Counter.builder("scaleblocks.ratelimit.decisions.source")
        .tag("policy", policyName).tag("source", "store")
        .description("decisions served from a local lease or by a store call")
        .register(registry));
    this.leases = leasePermits > 1
        ? new Leases(store, leasePermits, leaseHold, capHoldAtReset, guard.timeoutNanos(),
            maximumKeys, ticker, leaseHits, storeCalls)
        : null;
    this.nonBlocking = nonBlockingStore && leases == null;
  }

  @Override
  public Outcome decide(String key, long permits) {
    Leases l = leases;
    if (l != null) {
      Outcome o = l.serve(key, permits);
      if (o != null) {
        return o;
      }
    }
    long start = System.nanoTime();
    if (nonBlocking) {
      return resolve(key, permits, guard.awaitNonBlocking(() -> sendToStore(key, permits)), start);
    }
    return resolve(key, permits, guard.call(a -> callStore(key, permits, a)), start);
  }

  @Override
  public CompletableFuture<Outcome> decideAsync(String key, long permits) {
    Leases l = leases;
    if (l != null) {
      Outcome o = l.serve(key, permits);
      if (o != null) {
        return CompletableFuture.completedFuture(o);
      }
    }
    long start = System.nanoTime();
    CompletableFuture<StoreGuard.Result> result = nonBlocking
        ? guard.callNonBlocking(() -> sendToStore(key, permits))
        : guard.callAsync(a -> callStore(key, permits, a));
    return result.thenApply(r -> resolve(key, permits, r, start));
  }

  /** On the caller's thread, for a non-blocking store: sends the call and returns. */
  private CompletableFuture<Outcome> sendToStore(String key, long permits) {
    storeCalls.increment();
    return store.decideAsync(key, permits, permits);
  }

  @Override
  public void close() {
    guard.close();
  }

  /** Runs on a store thread. */
  private Outcome callStore(String key, long permits, StoreGuard.Attempt attempt)
      throws InterruptedException, StoreGuard.LocalWaitTimeout {
    Leases l = leases;
    if (l != null) {
      return l.refill(key, permits, attempt);
    }
    storeCalls.increment();
    attempt.enterRedis();
    return store.decide(key, permits, permits);
  }

  private Outcome resolve(String key, long permits, StoreGuard.Result result, long start) {
    if (result instanceof StoreGuard.Answered answered) {
      latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      if (degraded.get() && degraded.compareAndSet(true, false)) {
        toStore.increment();
        long held = switchLog.tryAcquire();
        if (held >= 0) {
          log.info("rate limiter {}: store answers again, deciding in Redis{}", policyName,
              heldBack(held));
        }
      }
      return answered.outcome();
    }
    if (result instanceof StoreGuard.Overloaded overloaded) {
      return overloaded(key, permits, overloaded.reason());
    }
    StoreGuard.Failed failed = (StoreGuard.Failed) result;
    return fallback(key, permits, failed.reason(), failed.breakerOpen());
  }

  private static String heldBack(long held) {
    return held == 0 ? "" : " (" + held + " earlier switches not logged)";
  }

  private Outcome overloaded(String key, long permits, String reason) {
    overloads.increment();
    long held = overloadLog.tryAcquire();
    if (held >= 0) {
      log.warn("rate limiter {}: this client is too busy to ask Redis in time ({}); deciding by {}"
              + " meanwhile{}", policyName, reason,
          failurePolicy == FailurePolicy.FAIL_CLOSED ? "rejection (FAIL_CLOSED)" : "the local share",
          held == 0 ? "" : " (" + held + " such decisions since the last line)");
    }
    if (failurePolicy == FailurePolicy.FAIL_CLOSED) {
      return closed();
    }
    return byLocalShare(key, permits);
  }

  private Outcome fallback(String key, long permits, String reason, boolean breakerOpen) {
    fallbacks.increment();
    if (!degraded.get() && degraded.compareAndSet(false, true)) {
      toFallback.increment();
      long held = switchLog.tryAcquire();
      if (held >= 0) {
        log.warn("rate limiter {}: store failed ({}), deciding by {} until it answers again{}",
            policyName, reason,
            failurePolicy == FailurePolicy.FAIL_OPEN && !breakerOpen
                ? "the local share (FAIL_OPEN admits all once the breaker opens)" : failurePolicy,
            heldBack(held));
      }
    }
    return switch (failurePolicy) {
      // until the breaker judges Redis sick, a failed call is one request, not an outage: the
      // local share decides it rather than blanket admission
      case FAIL_OPEN -> {
        if (!breakerOpen) {
          yield byLocalShare(key, permits);
        }
        LimitSpec first = limits[0];
        yield new Outcome(true, permits, 0, first.capacity(),
            Math.max(0, first.capacity() - permits), 0, 0, LocalStores.nowMillis(ticker));
      }
      case LOCAL_FALLBACK -> byLocalShare(key, permits);
      case FAIL_CLOSED -> closed();
    };
  }

  private Outcome byLocalShare(String key, long permits) {
    if (permits <= localShareCapacity) {
      return localShare.decide(key, permits, permits);
    }
    return closed(); // more permits than the local share can ever admit
  }

  private Outcome closed() {
    return new Outcome(false, 0, 0, limits[0].capacity(), 0, 1000, 1000,
        LocalStores.nowMillis(ticker));
  }
}
