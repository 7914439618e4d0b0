package dev.scaleblocks.cache;

import static dev.scaleblocks.core.internal.Checks.requirePositive;

import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * How long a caller waits for a load (the loader, and the cluster lease before it) when the value
 * is missing or expired: FusionCache's factory timeouts.
 *
 * <ul>
 *   <li><b>Soft timeout</b>: if the load has not finished by then and the cache still holds a stale
 *       value (an expired value kept by {@link TieredCacheBuilder#staleIfError stale-if-error}), the
 *       caller gets that value; the load goes on in the background. Without a stale value the
 *       caller keeps waiting.
 *   <li><b>Hard timeout</b>: the caller waits no longer: it gets the stale value if there is one,
 *       else a {@link CacheLoadTimeoutException}.
 * </ul>
 *
 * Either way the load is not cancelled: when it finishes it writes both tiers and tells the other
 * instances, as a put does. Both are counted from the start of the call's miss (its Redis read,
 * bounded by the L2 timeout on its own, included).
 *
 * <p>Set per cache with {@link TieredCacheBuilder#loadSoftTimeout} and {@link
 * TieredCacheBuilder#loadHardTimeout}, or per call with the {@code get}/{@code getAsync} overloads
 * taking a {@code LoadTimeouts}, which replaces the cache's for that call.
 *
 * <p>Immutable and thread-safe; reuse one instance rather than making one per call.
 */
public final class LoadTimeouts {

  private static final LoadTimeouts NONE = new LoadTimeouts(0, 0);

  /** Soft timeout in nanos, 0 for none. */
  final long softNanos;
  /** Hard timeout in nanos, 0 for none. */
  final long hardNanos;

  private LoadTimeouts(long softNanos, long hardNanos) {
    this.softNanos = softNanos;
    this.hardNanos = hardNanos;
  }

  /** No timeouts: the caller waits for the load however long it takes (the default). */
  public static LoadTimeouts none() {
    return NONE;
  }

  /** Only a soft timeout: stale at {@code soft} when there is a stale value, else wait for the load. */
  public static LoadTimeouts soft(Duration soft) {
    return new LoadTimeouts(requirePositive(soft, "soft").toNanos(), 0);
  }

  /** Only a hard timeout: the stale value or a {@link CacheLoadTimeoutException} at {@code hard}. */
  public static LoadTimeouts hard(Duration hard) {
    return new LoadTimeouts(0, requirePositive(hard, "hard").toNanos());
  }

  /** Both; {@code soft} must be shorter than {@code hard}. */
  public static LoadTimeouts of(Duration soft, Duration hard) {
    long s = requirePositive(soft, "soft").toNanos();
    long h = requirePositive(hard, "hard").toNanos();
    requireSoftBelowHard(soft, hard, "soft", "hard");
    return new LoadTimeouts(s, h);
  }

  /** {@code of}, {@code soft}, {@code hard} or {@code none} by which are given (builder use). */
  static LoadTimeouts ofEither(@Nullable Duration soft, @Nullable Duration hard) {
    if (soft == null) {
      return hard == null ? NONE : hard(hard);
    }
    return hard == null ? soft(soft) : of(soft, hard);
  }

  static void requireSoftBelowHard(Duration soft, Duration hard, String softName, String hardName) {
    if (soft.compareTo(hard) >= 0) {
      throw new IllegalArgumentException(
          softName + " must be shorter than " + hardName + " " + hard + " but was " + soft);
    }
  }

  /** The soft timeout, if any. */
  public Optional<Duration> soft() {
    return softNanos == 0 ? Optional.empty() : Optional.of(Duration.ofNanos(softNanos));
  }

  /** The hard timeout, if any. */
  public Optional<Duration> hard() {
    return hardNanos == 0 ? Optional.empty() : Optional.of(Duration.ofNanos(hardNanos));
  }

  /** Whether any timeout is set. */
  boolean enabled() {
    return softNanos != 0 || hardNanos != 0;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof LoadTimeouts t && t.softNanos == softNanos && t.hardNanos == hardNanos;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(softNanos) * 31 + Long.hashCode(hardNanos);
  }

  @Override
  public String toString() {
    return "LoadTimeouts[soft=" + soft().map(Duration::toString).orElse("none")
        + ", hard=" + hard().map(Duration::toString).orElse("none") + "]";
  }
}
