package dev.scaleblocks.cache.http;

import static dev.scaleblocks.core.internal.Checks.requireNonNegative;
import static dev.scaleblocks.core.internal.Checks.requireState;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A {@code Cache-Control} response header value, e.g. {@code public, max-age=300,
 * stale-while-revalidate=60}. Immutable and thread-safe; {@link #toString()} is computed once.
 *
 * {@snippet :
 * CacheControl cc = CacheControl.builder().publicCache().maxAge(Duration.ofMinutes(5))
 *     .staleWhileRevalidate(Duration.ofSeconds(60)).build();
 * }
 */
public final class CacheControl {

  private final String value;

  private CacheControl(String value) {
    this.value = value;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code no-store}: nothing may be cached. */
  public static CacheControl noStore() {
    return new CacheControl("no-store");
  }

  /** The header value. */
  @Override
  public String toString() {
    return value;
  }

  /**
   * Builds a {@link CacheControl}. Each directive may be given once ({@code publicCache()} and
   * {@code privateCache()} are one option, visibility); a second call throws {@link
   * IllegalStateException} ("maxAge was already set to PT5M"). Not thread-safe.
   */
  public static final class Builder {
    private @Nullable String visibility;
    private boolean noCache;
    private boolean noStore;
    private boolean mustRevalidate;
    private boolean proxyRevalidate;
    private boolean noTransform;
    private boolean immutable;
    private @Nullable Duration maxAge;
    private @Nullable Duration sMaxAge;
    private @Nullable Duration staleWhileRevalidate;
    private @Nullable Duration staleIfError;

    private Builder() {}

    /** {@code public}: shared caches may store it. */
    public Builder publicCache() {
      requireUnset(visibility != null, "visibility", visibility);
      this.visibility = "public";
      return this;
    }

    /** {@code private}: only the user's own cache may store it. */
    public Builder privateCache() {
      requireUnset(visibility != null, "visibility", visibility);
      this.visibility = "private";
      return this;
    }

    /** {@code no-cache}: caches must revalidate before each use. */
    public Builder noCache() {
      requireUnset(noCache, "noCache");
      this.noCache = true;
      return this;
    }

    /** {@code no-store}. */
    public Builder noStore() {
      requireUnset(noStore, "noStore");
      this.noStore = true;
      return this;
    }

    public Builder mustRevalidate() {
      requireUnset(mustRevalidate, "mustRevalidate");
      this.mustRevalidate = true;
      return this;
    }

    public Builder proxyRevalidate() {
      requireUnset(proxyRevalidate, "proxyRevalidate");
      this.proxyRevalidate = true;
      return this;
    }

    public Builder noTransform() {
      requireUnset(noTransform, "noTransform");
      this.noTransform = true;
      return this;
    }

    /** {@code immutable} (RFC 8246). */
    public Builder immutable() {
      requireUnset(immutable, "immutable");
      this.immutable = true;
      return this;
    }

    /** {@code max-age}, in whole seconds. */
    public Builder maxAge(Duration maxAge) {
      requireUnset(this.maxAge != null, "maxAge", this.maxAge);
      this.maxAge = requireNonNegative(maxAge, "maxAge");
      return this;
    }

    /** {@code s-maxage} for shared caches, in whole seconds. */
    public Builder sMaxAge(Duration sMaxAge) {
      requireUnset(this.sMaxAge != null, "sMaxAge", this.sMaxAge);
      this.sMaxAge = requireNonNegative(sMaxAge, "sMaxAge");
      return this;
    }

    /** {@code stale-while-revalidate} (RFC 5861). */
    public Builder staleWhileRevalidate(Duration d) {
      requireUnset(staleWhileRevalidate != null, "staleWhileRevalidate", staleWhileRevalidate);
      this.staleWhileRevalidate = requireNonNegative(d, "staleWhileRevalidate");
      return this;
    }

    /** {@code stale-if-error} (RFC 5861). */
    public Builder staleIfError(Duration d) {
      requireUnset(staleIfError != null, "staleIfError", staleIfError);
      this.staleIfError = requireNonNegative(d, "staleIfError");
      return this;
    }

    public CacheControl build() {
      if (noStore) {
        requireState(maxAge == null && sMaxAge == null && staleWhileRevalidate == null && staleIfError == null
            && visibility == null && !immutable, "no-store cannot be combined with caching directives");
        return new CacheControl("no-store");
      }
      StringBuilder sb = new StringBuilder();
      append(sb, visibility);
      append(sb, noCache ? "no-cache" : null);
      append(sb, maxAge == null ? null : "max-age=" + maxAge.toSeconds());
      append(sb, sMaxAge == null ? null : "s-maxage=" + sMaxAge.toSeconds());
      append(sb, mustRevalidate ? "must-revalidate" : null);
      append(sb, proxyRevalidate ? "proxy-revalidate" : null);
      append(sb, noTransform ? "no-transform" : null);
      append(sb, immutable ? "immutable" : null);
      append(sb, staleWhileRevalidate == null ? null : "stale-while-revalidate=" + staleWhileRevalidate.toSeconds());
      append(sb, staleIfError == null ? null : "stale-if-error=" + staleIfError.toSeconds());
      requireState(sb.length() > 0, "cache control needs at least one directive");
      return new CacheControl(sb.toString());
    }

    private static void append(StringBuilder sb, @Nullable String directive) {
      if (directive != null) {
        if (sb.length() > 0) {
          sb.append(", ");
        }
        sb.append(directive);
      }
    }
  }
}
