package dev.scaleblocks.cache;

import org.jspecify.annotations.Nullable;

/**
 * What storing a value may do to L2, named rather than carried by a {@code null}: a put
 * overwrites, or, when Redis is not to be asked now, is deferred to the repair queue; a load that
 * read L2 writes only if L2 still holds what it saw; a load that could not read L2 (Redis failed,
 * or the read was skipped) does not write L2 at all, because it cannot know whether an invalidation
 * or a newer value is there. Carried out by {@link L2Writer#write}.
 *
 * <p>An intent may carry the tags the value is written with ({@code null}: none): they go into the
 * L1 holder and the envelope, and the L2 key is filed under each of them in Redis (see {@link
 * L2Writer}).
 *
 * <p>Immutable. Cost: one small allocation per write (none for {@link #SKIP}).
 */
sealed interface L2Write {

  /** A load that did not read L2, or a cache without L2: nothing is written to L2. */
  L2Write SKIP = new Skip(null);

  /** As {@link #SKIP}, the value still carrying {@code tags} in L1. */
  static L2Write skip(@Nullable TagSet tags) {
    return tags == null ? SKIP : new Skip(tags);
  }

  /** A put: SET {@code rkey}; if Redis cannot be reached, the key is queued for repair. */
  static L2Write overwrite(byte[] rkey) {
    return new Overwrite(rkey, null);
  }

  /** As {@link #overwrite(byte[])}, the value written with {@code tags} and filed under them. */
  static L2Write overwrite(byte[] rkey, @Nullable TagSet tags) {
    return new Overwrite(rkey, tags);
  }

  /**
   * A put that does not ask Redis now (its breaker is open, or the executor is saturated): L1 and
   * the other instances at once, {@code rkey} through the repair queue, counted as a failed write.
   */
  static L2Write deferred(byte[] rkey) {
    return new Deferred(rkey);
  }

  /** A load that read L2: write {@code rkey} only if L2 still holds {@code expectedVersion} (empty: still nothing). */
  static L2Write ifUnchanged(byte[] rkey, byte[] expectedVersion) {
    return new IfUnchanged(rkey, expectedVersion, null);
  }

  /** The tags {@code write} carries; {@code null} when none. */
  static @Nullable TagSet tags(L2Write write) {
    if (write instanceof Overwrite o) {
      return o.tags();
    }
    if (write instanceof IfUnchanged c) {
      return c.tags();
    }
    if (write instanceof Skip k) {
      return k.tags();
    }
    return null;
  }

  /**
   * Whether {@code write} sends the value to Redis now (so it needs an envelope). Static, not a
   * default method: an interface with default methods is initialized with its implementations, and
   * this one's constant creates one of them.
   */
  static boolean sendsValue(L2Write write) {
    return write instanceof Overwrite || write instanceof IfUnchanged;
  }

  /** See {@link #overwrite}. */
  @SuppressWarnings("ArrayRecordComponent") // an intent, matched by type; never compared or hashed
  record Overwrite(byte[] rkey, @Nullable TagSet tags) implements L2Write {}

  /** See {@link #deferred}. */
  @SuppressWarnings("ArrayRecordComponent") // an intent, matched by type; never compared or hashed
  record Deferred(byte[] rkey) implements L2Write {}

  /** See {@link #SKIP}. */
  record Skip(@Nullable TagSet tags) implements L2Write {}

  /** See {@link #ifUnchanged}. */
  @SuppressWarnings("ArrayRecordComponent") // an intent, matched by type; never compared or hashed
  record IfUnchanged(byte[] rkey, byte[] expectedVersion, @Nullable TagSet tags) implements L2Write {}
}
