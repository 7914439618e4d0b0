package dev.scaleblocks.ratelimit;

import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNegative;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requirePositive;

import dev.scaleblocks.core.Ticker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The limiter users hold: checks arguments, asks its {@link Decider} — a local store, or the
 * remote path composed by the builder (Redis store → leasing → guard → failure policy) — has the
 * answer turned into a counted {@link Decision} by its {@link DecisionRecorder}, and waits in
 * {@link #acquire}; a refund goes back down the same decider. Owns its meters and removes them on {@link #close()}.
 *
 * <p>Thread-safe. Cost: the argument checks on top of its decider's.
 */
final class DefaultRateLimiter implements RateLimiter {

  private final RateLimitPolicy policy;
  private final long capacity;
  private final Decider decider;
  private final DecisionRecorder recorder;
  private final boolean shadow;
  private final Ticker ticker;
  private final Sleeper sleeper;
  private final int maxKeyLength;
  /** Removes this limiter's meters and those of a breaker it built; idempotent. */
  private final Runnable releaseMeters;
  private final Runnable onClose;
  private final AtomicBoolean closed = new AtomicBoolean();

  DefaultRateLimiter(RateLimitPolicy policy, LimitSpec[] limits, Decider decider,
      DecisionRecorder recorder, boolean shadow, Ticker ticker, Sleeper sleeper, int maxKeyLength,
      Runnable releaseMeters, Runnable onClose) {
    this.policy = policy;
    this.capacity = RateLimiterBuilder.capacity(limits);
    this.decider = decider;
    this.recorder = recorder;
    this.shadow = shadow;
    this.ticker = ticker;
    this.sleeper = sleeper;
    this.maxKeyLength = maxKeyLength;
    this.releaseMeters = releaseMeters;
    this.onClose = onClose;
  }

  @Override
  public Decision tryAcquire(String key) {
    check(key, 1);
    return decider.decide(key, 1, recorder);
  }

  @Override
  public Decision tryAcquire(String key, long permits) {
    check(key, permits);
    return decider.decide(key, permits, recorder);
  }

  @Override
  public boolean allow(String key) {
    check(key, 1);
    return decider.allow(key, 1, recorder);
  }

  @Override
  public boolean allow(String key, long permits) {
    check(key, permits);
    return decider.allow(key, permits, recorder);
  }

  @Override
  public CompletableFuture<Decision> tryAcquireAsync(String key, long permits) {
    check(key, permits);
    return decider.decideAsync(key, permits).thenApply(a -> recorder.decision(a, key, permits));
  }

  @Override
  public Decision acquire(String key, long permits, Duration maxWait) throws InterruptedException {
    check(key, permits);
    requireNonNegative(maxWait, "maxWait");
    long deadline = ticker.read() + saturatedNanos(maxWait);
    while (true) {
      Decision d = decider.decide(key, permits, recorder);
      if (d.allowed()) {
        return d;
      }
      long wait = saturatedNanos(d.retryAfter());
      long left = deadline - ticker.read();
      if (wait > left) {
        return d;
      }
      sleeper.sleep(Math.max(wait, 1_000_000L));
    }
  }

  @Override
  public boolean refund(Decision decision) {
    return refundAsync(decision).join();
  }

  /**
   * Claims the decision's admission (once) and has the decider give its permits back where they
   * came from; counted in {@code scaleblocks.ratelimit.refunds}.
   */
  @Override
  public CompletableFuture<Boolean> refundAsync(Decision decision) {
    Admission a = requireNonNull(decision, "decision").admission();
    if (a == null) {
      return CompletableFuture.completedFuture(false);
    }
    if (a.owner != recorder) {
      throw new IllegalArgumentException("decision must have been made by " + this
          + " but was made by another rate limiter: " + decision);
    }
    if (!a.claim()) {
      return CompletableFuture.completedFuture(false);
    }
    return decider.refundAsync(a.key, a.permits, a.atMillis, a.origin)
        .thenApply(recorder::refunded);
  }

  @Override
  public RateLimitPolicy policy() {
    return policy;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      decider.close();
      releaseMeters.run();
      onClose.run();
    }
  }

  /**
   * Removes this limiter's meters (and those of a breaker it built) and gives their names back, so
   * that a limiter of the same name can be built while this one still decides (a {@link
   * TenantPolicies} update); {@link #close()} does the rest later.
   */
  void releaseMeters() {
    releaseMeters.run();
  }

  private void check(String key, long permits) {
    requireNonEmpty(key, "key");
    if (key.length() > maxKeyLength) {
      throw new IllegalArgumentException(
          "key length must be at most " + maxKeyLength + " but was " + key.length());
    }
    requirePositive(permits, "permits");
    if (permits > capacity) {
      throw new IllegalArgumentException("permits must not exceed the capacity " + capacity
          + " of policy " + policy.name() + " but was " + permits);
    }
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 2;
    }
  }

  @Override
  public String toString() {
    return "RateLimiter{" + policy + (shadow ? ", shadow" : "") + '}';
  }
}
