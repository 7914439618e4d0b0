package dev.scaleblocks.cache;

/**
 * What storing a value may do to L2, named rather than carried by a {@code null}: a put
 * overwrites; a load that read L2 writes only if L2 still holds what it saw; a load that could not
 * read L2 (Redis failed, or the read was skipped) does not write L2 at all, because it cannot know
 * whether an invalidation or a newer value is there.
 */
sealed interface L2Write {

  /** A put: SET; if Redis cannot be reached, the key is queued for repair. */
  L2Write OVERWRITE = new Overwrite();

  /** A load that did not read L2: nothing is written to L2. */
  L2Write SKIP = new Skip();

  /** A load that read L2: write only if L2 still holds {@code expectedVersion} (empty: still nothing). */
  static L2Write ifUnchanged(byte[] expectedVersion) {
    return new IfUnchanged(expectedVersion);
  }

  /** See {@link #OVERWRITE}. */
  record Overwrite() implements L2Write {}

  /** See {@link #SKIP}. */
  record Skip() implements L2Write {}

  /** See {@link #ifUnchanged}. */
  @SuppressWarnings("ArrayRecordComponent") // an intent, matched by type; never compared or hashed
  record IfUnchanged(byte[] expectedVersion) implements L2Write {}
}
