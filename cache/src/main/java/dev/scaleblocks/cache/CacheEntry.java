package dev.scaleblocks.cache;

import java.time.Instant;

/**
 * One cached value with the metadata HTTP caching needs: a {@link #version()} to build an ETag from
 * and the {@link #writeTime()} for {@code Last-Modified}.
 *
 * <p>Immutable and thread-safe. Entries are created once per write (a {@code put} or a load) and
 * shared by every reader of the L1, so reading them costs nothing.
 *
 * @param <V> the value type
 */
public interface CacheEntry<V> {

  /** The cached value, never null. */
  V value();

  /**
   * An opaque number that changes on every write of this key and differs between writes made by
   * different instances; all instances that read the same L2 entry see the same version.
   */
  long version();

  /** When the value was written (loaded or put), as read from the writer's clock. */
  Instant writeTime();
}
