package dev.scaleblocks.ratelimit;

import dev.scaleblocks.core.internal.OwnedMeters;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;

/**
 * Turns a store's numbers into a {@link Decision} and counts it in the limiter's meters
 * ({@code scaleblocks.ratelimit.decisions} by result, {@code scaleblocks.ratelimit.near_limit});
 * in shadow mode a rejection is counted as {@code shadow_rejected} and admitted. An admission that
 * took permits carries its {@link Admission}, owned by this recorder (one per limiter), so that
 * only its own limiter refunds it; refunds are counted here too ({@code
 * scaleblocks.ratelimit.refunds} by result).
 *
 * <p>A {@link StoreAnswer} becomes a decision through {@link #decision(StoreAnswer, String, long)}; the local
 * store calls {@link #admitted}, {@link #rejected}, {@link #countAllowed} and {@link
 * #countRejected} directly, so that an in-memory decision allocates only the {@code Decision} it
 * returns (and, when it admits, the {@link Admission} a refund needs), and {@link
 * RateLimiter#allow} nothing.
 *
 * <p>Thread-safe. Cost: a counter increment or two, and the {@code Decision} it builds. Its meters
 * are registered on {@code meters} when it is made and removed with them.
 */
final class DecisionRecorder {

  private final String name;
  private final LimitSpec[] limits;
  private final boolean shadow;
  private final Counter allowed;
  private final Counter rejected;
  private final Counter shadowRejected;
  private final Counter nearLimit;
  private final Counter refundsReturned;
  private final Counter refundsExpired;

  DecisionRecorder(String policyName, LimitSpec[] limits, boolean shadow, OwnedMeters meters) {
    this.name = policyName;
    this.limits = limits;
    this.shadow = shadow;
    this.allowed = decisions(meters, "allowed");
    this.rejected = decisions(meters, "rejected");
    this.shadowRejected = decisions(meters, "shadow_rejected");
    this.nearLimit = meters.add(Counter.builder("scaleblocks.ratelimit.near_limit")
        .tag("policy", policyName)
        .description("admitted decisions that left 20% or less of the binding limit")
        .register(meters.registry()));
    this.refundsReturned = refunds(meters, "returned");
    this.refundsExpired = refunds(meters, "expired");
  }

  private Counter refunds(OwnedMeters meters, String result) {
    return meters.add(Counter.builder("scaleblocks.ratelimit.refunds")
        .tag("policy", name)
        .tag("result", result)
        .description("admissions refunded: permits given back (returned), or nothing to give back"
            + " any more (expired: the window rolled, the bucket refilled, or nothing was counted)")
        .register(meters.registry()));
  }

  /** Counts one admission refunded; returns {@code returned}. */
  boolean refunded(boolean returned) {
    (returned ? refundsReturned : refundsExpired).increment();
    return returned;
  }

  private Counter decisions(OwnedMeters meters, String result) {
    return meters.add(Counter.builder("scaleblocks.ratelimit.decisions")
        .tag("policy", name)
        .tag("result", result)
        .description("rate-limit decisions")
        .register(meters.registry()));
  }

  /** The decision of {@code a} on {@code permits} for {@code key}, counted. */
  Decision decision(StoreAnswer a, String key, long permits) {
    if (!a.allowed()) {
      return rejected(a.binding(), a.limit(), a.remaining(), a.resetMillis(), a.retryMillis());
    }
    if (a.origin() == Origin.Place.NOWHERE) {
      return allowed(a.binding(), a.limit(), a.remaining(), a.resetMillis()); // nothing to refund
    }
    countAllowed(a.limit(), a.remaining());
    return Decision.admitted(name, a.limit(), a.remaining(), period(a.binding()), a.resetMillis(),
        new Admission(this, key, permits, a.nowMillis(), a.origin()));
  }

  /**
   * An admission of {@code permits} for {@code key} by the store, at {@code nowMillis} on its
   * clock, counted; times in milliseconds.
   */
  Decision admitted(int binding, long limit, long remaining, long resetMillis, String key,
      long permits, long nowMillis) {
    countAllowed(limit, remaining);
    return Decision.admitted(name, limit, remaining, period(binding), resetMillis,
        new Admission(this, key, permits, nowMillis, Origin.Place.STORE));
  }

  /** Counts {@code a}; returns whether the caller proceeds. */
  boolean count(StoreAnswer a) {
    return a.allowed() ? countAllowed(a.limit(), a.remaining()) : countRejected();
  }

  /** An admitted request, counted; times in milliseconds. */
  Decision allowed(int binding, long limit, long remaining, long resetMillis) {
    countAllowed(limit, remaining);
    return Decision.of(true, name, limit, remaining, period(binding), resetMillis, 0);
  }

  /** A rejected request, counted (admitted as a shadow decision in shadow mode). */
  Decision rejected(int binding, long limit, long remaining, long resetMillis, long retryMillis) {
    Decision d = Decision.of(false, name, limit, remaining, period(binding), resetMillis,
        retryMillis);
    if (shadow) {
      shadowRejected.increment();
      return d.asShadow();
    }
    rejected.increment();
    return d;
  }

  /** Counts an admitted request without building a decision; returns true. */
  boolean countAllowed(long limit, long remaining) {
    allowed.increment();
    if (remaining * 5 <= limit) {
      nearLimit.increment();
    }
    return true;
  }

  /**
   * Counts a rejected request without building a decision; returns whether the caller proceeds
   * anyway (shadow mode).
   */
  boolean countRejected() {
    if (shadow) {
      shadowRejected.increment();
      return true;
    }
    rejected.increment();
    return false;
  }

  private Duration period(int binding) {
    return limits[Math.min(binding, limits.length - 1)].period();
  }
}
