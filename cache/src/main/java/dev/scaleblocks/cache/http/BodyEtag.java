package dev.scaleblocks.cache.http;

import static dev.scaleblocks.core.internal.Checks.requireInRange;

import dev.scaleblocks.core.hash.Hash128;
import dev.scaleblocks.core.hash.Hashing;
import org.jspecify.annotations.Nullable;

/**
 * Settings of the body-hash entity tag filter/handler: responses up to {@link #maxBytes()} are
 * buffered and tagged with a 128-bit MurmurHash3 of their bytes; a larger response streams through
 * untouched (no tag, no buffering past the cap). A response that already has an {@code ETag}, a
 * status other than 200, or a request other than GET/HEAD is never buffered. Immutable.
 */
public final class BodyEtag {

  private final int maxBytes;
  private final boolean weak;

  private BodyEtag(int maxBytes, boolean weak) {
    this.maxBytes = maxBytes;
    this.weak = weak;
  }

  /** Tags bodies up to {@code maxBytes} (1 B to 64 MiB), strong tags. */
  public static BodyEtag maxBytes(int maxBytes) {
    return new BodyEtag((int) requireInRange(maxBytes, 1, 64 << 20, "maxBytes"), false);
  }

  /** The same settings producing weak tags ({@code W/"..."}), e.g. when a later stage compresses. */
  public BodyEtag weak() {
    return new BodyEtag(maxBytes, true);
  }

  public int maxBytes() {
    return maxBytes;
  }

  /** The tag of {@code body[0, length)}. */
  public EntityTag tagOf(byte[] body, int length) {
    Hash128 h = Hashing.murmur3_128(body, 0, length, 0);
    String opaque = hex(h.h1()) + hex(h.h2());
    return weak ? EntityTag.weak(opaque) : EntityTag.strong(opaque);
  }

  /** Whether a GET/HEAD with this {@code If-None-Match} value gets 304 for {@code tag}. */
  public static boolean notModified(@Nullable String ifNoneMatch, EntityTag tag) {
    return ifNoneMatch != null
        && Conditionals.evaluate("GET", Validators.of(tag, null), null, null, ifNoneMatch, null)
            == Conditionals.Result.NOT_MODIFIED;
  }

  private static String hex(long v) {
    String s = Long.toHexString(v);
    return "0".repeat(16 - s.length()) + s;
  }
}
