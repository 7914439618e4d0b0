package dev.scaleblocks.cache.http;

import dev.scaleblocks.core.http.HttpDates;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * RFC 9110 §13.2.2 evaluation of {@code If-Match}, {@code If-Unmodified-Since}, {@code
 * If-None-Match} and {@code If-Modified-Since}, in that order of precedence:
 *
 * <ol>
 *   <li>{@code If-Match} present and false (strong comparison; {@code *} is true when a current
 *       representation exists) → 412;
 *   <li>otherwise {@code If-Unmodified-Since} present, valid, and the resource modified after it →
 *       412;
 *   <li>{@code If-None-Match} present and false (weak comparison; {@code *} matches any current
 *       representation) → 304 for GET/HEAD, 412 for other methods;
 *   <li>otherwise, for GET/HEAD, {@code If-Modified-Since} present, valid, and the resource not
 *       modified after it → 304;
 *   <li>else the request proceeds.
 * </ol>
 *
 * Invalid dates and date conditions on a resource without a modification time are ignored, as
 * the RFC requires. Stateless and thread-safe; never throws on malformed headers.
 */
public final class Conditionals {

  /** The outcome of the evaluation. */
  public enum Result {
    /** Serve the request normally. */
    PROCEED,
    /** Answer 304 Not Modified (GET/HEAD only). */
    NOT_MODIFIED,
    /** Answer 412 Precondition Failed. */
    PRECONDITION_FAILED;

    /** The status to answer with, or 0 for {@link #PROCEED}. */
    public int status() {
      return this == NOT_MODIFIED ? 304 : this == PRECONDITION_FAILED ? 412 : 0;
    }
  }

  private Conditionals() {}

  /**
   * Evaluates the preconditions of a request.
   *
   * @param method the request method, upper case
   * @param current the validators of the current representation, or null when there is none (the
   *     resource does not exist)
   */
  public static Result evaluate(
      String method,
      @Nullable Validators current,
      @Nullable String ifMatch,
      @Nullable String ifUnmodifiedSince,
      @Nullable String ifNoneMatch,
      @Nullable String ifModifiedSince) {
    boolean getOrHead = method.equals("GET") || method.equals("HEAD");
    EntityTag etag = current == null ? null : current.etag();
    Instant lastModified = current == null ? null : current.lastModified();
    if (ifMatch != null) {
      if (!ifMatchTrue(ifMatch, current != null, etag)) {
        return Result.PRECONDITION_FAILED;
      }
    } else if (ifUnmodifiedSince != null && lastModified != null) {
      Instant date = HttpDates.parse(ifUnmodifiedSince);
      if (date != null && lastModified.isAfter(date)) {
        return Result.PRECONDITION_FAILED;
      }
    }
    if (ifNoneMatch != null) {
      if (!ifNoneMatchTrue(ifNoneMatch, current != null, etag)) {
        return getOrHead ? Result.NOT_MODIFIED : Result.PRECONDITION_FAILED;
      }
    } else if (getOrHead && ifModifiedSince != null && lastModified != null) {
      Instant date = HttpDates.parse(ifModifiedSince);
      if (date != null && !lastModified.isAfter(date)) {
        return Result.NOT_MODIFIED;
      }
    }
    return Result.PROCEED;
  }

  private static boolean ifMatchTrue(String header, boolean exists, @Nullable EntityTag etag) {
    List<EntityTag> tags = EntityTag.parseList(header);
    if (tags == null) {
      return exists;
    }
    if (etag == null) {
      return false;
    }
    for (EntityTag t : tags) {
      if (t.strongMatches(etag)) {
        return true;
      }
    }
    return false;
  }

  private static boolean ifNoneMatchTrue(String header, boolean exists, @Nullable EntityTag etag) {
    List<EntityTag> tags = EntityTag.parseList(header);
    if (tags == null) {
      return !exists;
    }
    if (etag == null) {
      return true;
    }
    for (EntityTag t : tags) {
      if (t.weakMatches(etag)) {
        return false;
      }
    }
    return true;
  }
}
