package dev.scaleblocks.cache.http;

import dev.scaleblocks.cache.CacheEntry;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.jspecify.annotations.Nullable;

/**
 * The validators of the current representation of a resource: its entity tag and its last
 * modification time (kept to whole seconds, as HTTP dates are). Either may be absent. Immutable.
 */
public final class Validators {

  private final @Nullable EntityTag etag;
  private final @Nullable Instant lastModified;

  private Validators(@Nullable EntityTag etag, @Nullable Instant lastModified) {
    this.etag = etag;
    this.lastModified = lastModified == null ? null : lastModified.truncatedTo(ChronoUnit.SECONDS);
  }

  public static Validators of(@Nullable EntityTag etag, @Nullable Instant lastModified) {
    return new Validators(etag, lastModified);
  }

  /**
   * The validators of a versioned cache entry (e.g. a {@code TieredCache} {@code CacheEntry}):
   * strong tag {@code "v<hex version>"} and the write time as last modification.
   */
  public static Validators ofVersion(long version, @Nullable Instant writeTime) {
    return new Validators(EntityTag.ofVersion(version), writeTime);
  }

  /**
   * The validators of a {@code TieredCache} entry: {@link #ofVersion(long, Instant)} of its
   * {@link CacheEntry#version()} and {@link CacheEntry#writeTime()}; null for a null entry. Costs
   * one small allocation.
   */
  public static @Nullable Validators ofEntry(@Nullable CacheEntry<?> entry) {
    return entry == null ? null : ofVersion(entry.version(), entry.writeTime());
  }

  public @Nullable EntityTag etag() {
    return etag;
  }

  public @Nullable Instant lastModified() {
    return lastModified;
  }
}
