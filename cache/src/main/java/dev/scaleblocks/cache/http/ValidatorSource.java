package dev.scaleblocks.cache.http;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.cache.TieredCache;
import dev.scaleblocks.core.http.HttpRequestView;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Gives the validators of the representation a request targets, cheaply and before the
 * application renders anything: typically from a cache entry's version, e.g. with a {@code
 * TieredCache}:
 *
 * {@snippet :
 * ValidatorSource source = ValidatorSource.fromCache(items, request -> itemId(request));
 * }
 *
 * <p>Return null when the validators are unknown (e.g. the entry is not cached): the request then
 * proceeds to the application unconditionally. Implementations must be thread-safe and must not
 * throw on malformed requests (an exception is treated as null).
 */
@FunctionalInterface
public interface ValidatorSource {

  /** The current validators, or null when unknown. */
  @Nullable Validators validators(HttpRequestView request);

  /**
   * Validators from the entries of {@code cache}: the request's key (from {@code key}; null means
   * "not a cached resource") is looked up with {@link TieredCache#getEntryIfPresent}, which never
   * loads, and the entry gives a strong {@code "v<hex version>"} ETag and its write time as
   * {@code Last-Modified} ({@link Validators#ofEntry}). An absent entry gives null: the request
   * proceeds, and the application, loading the value, sets the ETag itself.
   *
   * <p>Cost: an L1 hit is a map lookup; an L1 miss on a cache with Redis is one Redis GET on the
   * calling thread, so on a Netty event loop prefer an L1-only cache or accept that GET (bounded by
   * the cache's circuit breaker).
   */
  static <K> ValidatorSource fromCache(
      TieredCache<K, ?> cache, Function<? super HttpRequestView, ? extends @Nullable K> key) {
    requireNonNull(cache, "cache");
    requireNonNull(key, "key");
    return request -> {
      K k = key.apply(request);
      return k == null ? null : Validators.ofEntry(cache.getEntryIfPresent(k));
    };
  }
}
