package dev.scaleblocks.cache.http;

import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a route's responses carry: {@code Cache-Control}, {@code Vary}, and where validators come
 * from for conditional requests. Immutable and thread-safe.
 */
public final class CachePolicy {

  private final @Nullable CacheControl cacheControl;
  private final @Nullable String vary;
  private final @Nullable ValidatorSource validators;

  private CachePolicy(Builder b) {
    this.cacheControl = b.cacheControl;
    this.vary = b.vary.isEmpty() ? null : String.join(", ", b.vary);
    this.validators = b.validators;
  }

  public static Builder builder() {
    return new Builder();
  }

  public @Nullable CacheControl cacheControl() {
    return cacheControl;
  }

  /** The {@code Vary} value, or null. */
  public @Nullable String vary() {
    return vary;
  }

  public @Nullable ValidatorSource validators() {
    return validators;
  }

  /**
   * Builds a {@link CachePolicy}. {@link #cacheControl} and {@link #validators} may be set once (a
   * second call throws {@link IllegalStateException}); {@link #vary} adds names. Not thread-safe.
   */
  public static final class Builder {
    private @Nullable CacheControl cacheControl;
    private final List<String> vary = new ArrayList<>();
    private @Nullable ValidatorSource validators;

    private Builder() {}

    /** The {@code Cache-Control} set on responses that do not set their own; none by default. */
    public Builder cacheControl(CacheControl cacheControl) {
      requireUnset(this.cacheControl != null, "cacheControl", this.cacheControl);
      this.cacheControl = requireNonNull(cacheControl, "cacheControl");
      return this;
    }

    /** Adds header names to {@code Vary} (e.g. {@code Accept-Encoding}). */
    public Builder vary(String... headers) {
      requireNonNull(headers, "headers");
      for (String h : headers) {
        vary.add(requireNonEmpty(h, "header"));
      }
      return this;
    }

    /** Where validators come from; none by default (no conditional evaluation before the application). */
    public Builder validators(ValidatorSource source) {
      requireUnset(this.validators != null, "validators");
      this.validators = requireNonNull(source, "validators");
      return this;
    }

    public CachePolicy build() {
      return new CachePolicy(this);
    }
  }
}
