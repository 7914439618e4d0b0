package dev.scaleblocks.cache;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * What the L1 holds: created once per write, read without allocation. A {@code null} value is a
 * negative entry. Times are on the cache's ticker, except {@link #writeMillis} (epoch millis).
 */
final class L1Entry<V> implements CacheEntry<V> {

  final @Nullable V value;
  final long version;
  final long writeMillis;
  /** Ticker time after which a hit starts a background refresh. */
  final long refreshAt;
  /** Ticker time after which the entry is no longer served (except as stale-if-error). */
  final long freshUntil;
  /** Ticker time after which the L1 drops the entry. */
  final long hardUntil;
  /** The tags it was written with, under which {@link L1Tier} files it; {@code null}: none. */
  final @Nullable TagSet tags;
  /**
   * For a tagged holder: its install is over (it is in the map, or was refused or removed). Until
   * then a holder filed under its tags but absent from the map is on its way in, and only its
   * installer may take it out of the index.
   */
  volatile boolean settled;

  L1Entry(@Nullable V value, long version, long writeMillis, long refreshAt, long freshUntil, long hardUntil) {
    this(value, version, writeMillis, refreshAt, freshUntil, hardUntil, null);
  }

  L1Entry(@Nullable V value, long version, long writeMillis, long refreshAt, long freshUntil, long hardUntil,
      @Nullable TagSet tags) {
    this.value = value;
    this.version = version;
    this.writeMillis = writeMillis;
    this.refreshAt = refreshAt;
    this.freshUntil = freshUntil;
    this.hardUntil = hardUntil;
    this.tags = tags;
  }

  boolean isNegative() {
    return value == null;
  }

  @Override
  public V value() {
    V v = value;
    if (v == null) {
      // negative entries are never handed out as a CacheEntry (getEntry returns null for them)
      throw new IllegalStateException("a negative cache entry has no value");
    }
    return v;
  }

  @Override
  public long version() {
    return version;
  }

  @Override
  public Instant writeTime() {
    return Instant.ofEpochMilli(writeMillis);
  }

  @Override
  public String toString() {
    return "CacheEntry[version=" + Long.toHexString(version) + ", writeTime=" + writeTime()
        + (value == null ? ", negative]" : "]");
  }
}
