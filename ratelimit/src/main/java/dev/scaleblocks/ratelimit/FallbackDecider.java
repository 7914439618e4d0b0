package dev.scaleblocks.ratelimit;

import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.internal.OwnedMeters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The top of the remote path: asks a {@link GuardedStore} and turns how the call ended into an
 * answer — the store's own, or one decided by the {@link FailurePolicy} or the local share when
 * the store gave none.
 *
 * <ul>
 *   <li>{@link GuardedStore.Answered}: the store's answer (a lease hit, served from memory before
 *       the guard, is one too).
 *   <li>{@link GuardedStore.Failed} — Redis failed, did not answer in time, or its breaker is
 *       open: the failure policy decides (FAIL_OPEN admits, FAIL_CLOSED rejects, LOCAL_FALLBACK
 *       asks the local share). FAIL_OPEN admits blindly only once the breaker has opened; a call
 *       that failed while it is still closed is one request, not an outage, and the local share
 *       decides it.
 *   <li>{@link GuardedStore.Overloaded} — this client could not start the call in time (store
 *       threads busy, queue full, a lease lock held too long) while Redis is fine: the local share
 *       decides — {@code quota / instances} per instance in memory — or, for FAIL_CLOSED, the
 *       request is rejected. A busy client is not a sick Redis: the failure policy does not fire.
 * </ul>
 *
 * <p>Switches between Redis and the failure policy, and overload, are counted every time and
 * logged at most once per {@link #LOG_INTERVAL_NANOS} (with the number held back). Owns the
 * meters of that ({@code fallbacks}, {@code overloaded}, {@code store.switches}) and the store's
 * latency as callers waited for it, registered on {@code meters}.
 *
 * <p>Thread-safe. Cost on top of the guarded call: a timer record when the store answered; a
 * local-share decision (in memory) when it did not. Closing it closes the guard.
 */
final class FallbackDecider implements Decider {

  private static final Logger log = LoggerFactory.getLogger(FallbackDecider.class);
  static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final String policyName;
  private final GuardedStore store;
  private final LocalCounterStore localShare;
  private final long localShareCapacity;
  private final LimitSpec[] limits;
  private final FailurePolicy failurePolicy;
  private final Ticker ticker;

  private final AtomicBoolean degraded = new AtomicBoolean();
  private final LogThrottle switchLog;
  private final LogThrottle overloadLog;
  private final Timer latency;
  private final Counter fallbacks;
  private final Counter overloads;
  private final Counter toFallback;
  private final Counter toStore;

  /**
   * @param localShare this instance's share of {@code limits}, in memory
   * @param localShareCapacity the local share's smallest capacity: a request for more is rejected
   * @param ticker the clock of the answers made up here
   */
  FallbackDecider(String policyName, GuardedStore store, LocalCounterStore localShare,
      long localShareCapacity, LimitSpec[] limits, FailurePolicy failurePolicy, Ticker ticker,
      OwnedMeters meters) {
    this.policyName = policyName;
    this.store = store;
    this.localShare = localShare;
    this.localShareCapacity = localShareCapacity;
    this.limits = limits;
    this.failurePolicy = failurePolicy;
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
  }

  @Override
  public StoreAnswer decide(String key, long permits) {
    StoreAnswer fromMemory = store.answerFromMemory(key, permits);
    if (fromMemory != null) {
      return fromMemory;
    }
    long start = System.nanoTime();
    return resolve(key, permits, store.call(key, permits), start);
  }

  @Override
  public CompletableFuture<StoreAnswer> decideAsync(String key, long permits) {
    StoreAnswer fromMemory = store.answerFromMemory(key, permits);
    if (fromMemory != null) {
      return CompletableFuture.completedFuture(fromMemory);
    }
    long start = System.nanoTime();
    return store.callAsync(key, permits).thenApply(r -> resolve(key, permits, r, start));
  }

  /**
   * Gives the permits back where the admission took them: into its lease while that lasts (else
   * to Redis, at the time the lease was taken), to Redis, to the local share; an admission that
   * FAIL_OPEN let through blindly took nothing and gets nothing back. Never blocks: Redis is
   * called as {@link GuardedStore#refundAsync} does.
   */
  @Override
  public CompletableFuture<Boolean> refundAsync(String key, long permits, long atMillis,
      Origin origin) {
    if (origin instanceof LeasingStore.Lease lease) {
      if (store.refundToMemory(key, permits, lease)) {
        return CompletableFuture.completedFuture(true);
      }
      return store.refundAsync(key, permits, lease.takenAtMillis());
    }
    return switch ((Origin.Place) origin) {
      case STORE -> store.refundAsync(key, permits, atMillis);
      case LOCAL_SHARE ->
          CompletableFuture.completedFuture(localShare.refund(key, permits, atMillis));
      case NOWHERE -> CompletableFuture.completedFuture(false);
    };
  }

  @Override
  public void close() {
    store.close();
  }

  private StoreAnswer resolve(String key, long permits, GuardedStore.Result result, long start) {
    if (result instanceof GuardedStore.Answered answered) {
      latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      if (degraded.get() && degraded.compareAndSet(true, false)) {
        toStore.increment();
        long held = switchLog.tryAcquire();
        if (held >= 0) {
          log.info("rate limiter {}: store answers again, deciding in Redis{}", policyName,
              heldBack(held));
        }
      }
      return answered.answer();
    }
    if (result instanceof GuardedStore.Overloaded overloaded) {
      return overloaded(key, permits, overloaded.reason());
    }
    GuardedStore.Failed failed = (GuardedStore.Failed) result;
    return fallback(key, permits, failed.reason(), failed.breakerOpen());
  }

  private static String heldBack(long held) {
    return held == 0 ? "" : " (" + held + " earlier switches not logged)";
  }

  private StoreAnswer overloaded(String key, long permits, String reason) {
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

  private StoreAnswer fallback(String key, long permits, String reason, boolean breakerOpen) {
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
        yield new StoreAnswer(true, permits, 0, first.capacity(),
            Math.max(0, first.capacity() - permits), 0, 0, LocalCounterStore.nowMillis(ticker),
            Origin.Place.NOWHERE);
      }
      case LOCAL_FALLBACK -> byLocalShare(key, permits);
      case FAIL_CLOSED -> closed();
    };
  }

  private StoreAnswer byLocalShare(String key, long permits) {
    if (permits <= localShareCapacity) {
      return localShare.decide(key, permits, permits).from(Origin.Place.LOCAL_SHARE);
    }
    return closed(); // more permits than the local share can ever admit
  }

  private StoreAnswer closed() {
    return new StoreAnswer(false, 0, 0, limits[0].capacity(), 0, 1000, 1000,
        LocalCounterStore.nowMillis(ticker));
  }
}
