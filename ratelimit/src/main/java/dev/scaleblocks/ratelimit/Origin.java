package dev.scaleblocks.ratelimit;

/**
 * Where an admission's permits were taken from, so that a refund gives them back there and
 * nowhere else: the limiter's store ({@link Place#STORE}: Redis, or the local limiter's memory),
 * the remote path's local share ({@link Place#LOCAL_SHARE}, when Redis did not decide), nowhere
 * ({@link Place#NOWHERE}: FAIL_OPEN admitted blindly, nothing was counted), or a {@link
 * LeasingStore.Lease} (served from memory out of permits leased from Redis). Immutable.
 */
sealed interface Origin permits Origin.Place, LeasingStore.Lease {

  /** The origins that are not a lease. */
  enum Place implements Origin {
    STORE, LOCAL_SHARE, NOWHERE
  }
}
