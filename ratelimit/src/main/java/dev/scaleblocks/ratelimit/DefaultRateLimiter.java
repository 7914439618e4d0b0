package dev.scaleblocks.ratelimit;

import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNegative;
import static dev.scaleblocks.core.internal.Checks.requirePositive;

import dev.scaleblocks.core.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** The limiter users hold: checks arguments, turns outcomes into decisions, counts, waits. */
final class DefaultRateLimiter implements RateLimiter {

  private final RateLimitPolicy policy;
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

  DefaultRateLimiter(RateLimitPolicy policy, LimitSpec[] limits, Decider decider, boolean shadow,
      Ticker ticker, Sleeper sleeper, MeterRegistry registry) {
    this.policy = policy;
    this.limits = limits;
    this.capacity = RateLimiterBuilder.capacity(limits);
    this.decider = decider;
    this.shadow = shadow;
    this.ticker = ticker;
    this.sleeper = sleeper;
    this.allowed = decisions(registry, "allowed");
    this.rejected = decisions(registry, "rejected");
    this.shadowRejected = decisions(registry, "shadow_rejected");
    this.nearLimit = Counter.builder("scaleblocks.ratelimit.near_limit")
        .tag("policy", policy.name())
        .description("admitted decisions that left 20% or less of the binding limit")
        .register(registry);
  }

  private Counter decisions(MeterRegistry registry, String result) {
    return Counter.builder("scaleblocks.ratelimit.decisions")
        .tag("policy", policy.name())
        .tag("result", result)
        .description("rate-limit decisions")
        .register(registry);
  }

  @Override
  public Decision tryAcquire(String key) {
    check(key, 1);
    return finish(decider.decide(key, 1));
  }

  @Override
  public Decision tryAcquire(String key, long permits) {
    check(key, permits);
    return finish(decider.decide(key, permits));
  }

  @Override
  public CompletableFuture<Decision> tryAcquireAsync(String key, long permits) {
    check(key, permits);
    return decider.decideAsync(key, permits).thenApply(this::finish);
  }

  @Override
  public Decision acquire(String key, long permits, Duration maxWait) throws InterruptedException {
    check(key, permits);
    requireNonNegative(maxWait, "maxWait");
    long deadline = ticker.read() + saturatedNanos(maxWait);
    while (true) {
      Decision d = finish(decider.decide(key, permits));
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
    decider.close();
  }

  private void check(String key, long permits) {
    requireNonEmpty(key, "key");
    requirePositive(permits, "permits");
    if (permits > capacity) {
      throw new IllegalArgumentException("permits must not exceed the capacity " + capacity
          + " of policy " + policy.name() + " but was " + permits);
    }
  }

  private Decision finish(Outcome o) {
    LimitSpec binding = limits[Math.min(o.binding(), limits.length - 1)];
    if (o.allowed()) {
      allowed.increment();
      if (o.remaining() * 5 <= o.limit()) {
        nearLimit.increment();
      }
      return Decision.of(true, policy.name(), o.limit(), o.remaining(), binding.period(),
          o.resetMillis(), 0);
    }
    Decision d = Decision.of(false, policy.name(), o.limit(), o.remaining(), binding.period(),
        o.resetMillis(), o.retryMillis());
    if (shadow) {
      shadowRejected.increment();
      return d.asShadow();
    }
    rejected.increment();
    return d;
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
