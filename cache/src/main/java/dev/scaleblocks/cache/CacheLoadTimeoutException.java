package dev.scaleblocks.cache;

import java.time.Duration;

/**
 * Thrown to a caller (or completing its future) when a load has not finished within the call's
 * {@linkplain LoadTimeouts hard timeout} and no stale value was there to serve instead. The load
 * itself goes on: if it succeeds it still fills both tiers, so a later call may find the value.
 *
 * <p>The message names the cache and the timeout, never the key (keys may be personal data).
 */
public final class CacheLoadTimeoutException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String cacheName;
  private final Duration timeout;

  CacheLoadTimeoutException(String cacheName, Duration timeout) {
    super("cache " + cacheName + ": load did not finish within the hard timeout of "
        + timeout.toMillis() + " ms and no stale value was available");
    this.cacheName = cacheName;
    this.timeout = timeout;
  }

  /** The cache whose load timed out. */
  public String cacheName() {
    return cacheName;
  }

  /** The hard timeout that passed. */
  public Duration timeout() {
    return timeout;
  }
}
