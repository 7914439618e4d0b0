package dev.scaleblocks.ratelimit;

import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNegative;
import static dev.scaleblocks.core.internal.Checks.requirePositive;

import dev.scaleblocks.core.Ticker;
import dev.scaleblocks.core.internal.OwnedMeters;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The limiter users hold: checks arguments, turns outcomes into decisions, counts, waits. Owns its
 * meters and removes them on {@link #close()}.
 */
final class DefaultRateLimiter implements RateLimiter, Decisions {

  private final RateLimitPolicy policy;
  private final String name;
  private final LimitSpec[] limits;
  private final long capacity;
  private final Decider decider;
  private final boolean shadow;
  private final Ticker ticker;
  private final Sleeper sleeper;
  private final Counter allowed;
  private final Counter rejected;
  private final Counter shadowRejected;
  private final Counter nearLimit;
  private final int maxKeyLength;
  private final OwnedMeters meters;
  private final Runnable onClose;
  private final AtomicBoolean closed = new AtomicBoolean();

  DefaultRateLimiter(RateLimitPolicy policy, LimitSpec[] limits, Decider decider, boolean shadow,
      Ticker ticker, Sleeper sleeper, int maxKeyLength, OwnedMeters meters, Runnable onClose) {
    this.policy = policy;
    this.name = policy.name();
    this.limits = limits;
    this.capacity = RateLimiterBuilder.capacity(limits);
    this.decider = decider;
    this.shadow = shadow;
    this.ticker = ticker;
    this.sleeper = sleeper;
    this.maxKeyLength = maxKeyLength;
    this.meters = meters;
    this.onClose = onClose;
    this.allowed = decisions("allowed");
    this.rejected = decisions("rejected");
    this.shadowRejected = decisions("shadow_rejected");
    this.nearLimit = meters.add(Counter.builder("scaleblocks.ratelimit.near_limit")
        .tag("policy", policy.name())
        .description("admitted decisions that left 20% or less of the binding limit")
        .register(meters.registry()));
  }

  private Counter decisions(String result) {
    return meters.add(Counter.builder("scaleblocks.ratelimit.decisions")
        .tag("policy", policy.name())
        .tag("result", result)
        .description("rate-limit decisions")
        .register(meters.registry()));
  }

  @Override
  public Decision tryAcquire(String key) {
    check(key, 1);
    return decider.decide(key, 1, this);
  }

  @Override
  public Decision tryAcquire(String key, long permits) {
    check(key, permits);
    return decider.decide(key, permits, this);
  }

  @Override
  public boolean allow(String key) {
    check(key, 1);
    return decider.allow(key, 1, this);
  }

  @Override
  public boolean allow(String key, long permits) {
    check(key, permits);
    return decider.allow(key, permits, this);
  }

  @Override
  public CompletableFuture<Decision> tryAcquireAsync(String key, long permits) {
    check(key, permits);
    return decider.decideAsync(key, permits).thenApply(this::of);
  }

  @Override
  public Decision acquire(String key, long permits, Duration maxWait) throws InterruptedException {
    check(key, permits);
    requireNonNegative(maxWait, "maxWait");
    long deadline = ticker.read() + saturatedNanos(maxWait);
    while (true) {
      Decision d = decider.decide(key, permits, this);
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
  public RateLimitPolicy policy() {
    return policy;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      decider.close();
      meters.close();
      onClose.run();
    }
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

  @Override
  public Decision allowed(int binding, long limit, long remaining, long resetMillis) {
    countAllowed(limit, remaining);
    return Decision.of(true, name, limit, remaining, period(binding), resetMillis, 0);
  }

  @Override
  public boolean countAllowed(long limit, long remaining) {
    allowed.increment();
    if (remaining * 5 <= limit) {
      nearLimit.increment();
    }
    return true;
  }

  @Override
  public boolean countRejected() {
    if (shadow) {
      shadowRejected.increment();
      return true;
    }
    rejected.increment();
    return false;
  }

  @Override
  public Decision rejected(int binding, long limit, long remaining, long resetMillis,
      long retryMillis) {
    Decision d = Decision.of(false, name, limit, remaining, period(binding), resetMillis,
        retryMillis);
    if (shadow) {
      shadowRejected.increment();
      return d.asShadow();
    }
    rejected.increment();
    return d;
  }

  private Duration period(int binding) {
    return limits[Math.min(binding, limits.length - 1)].period();
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
