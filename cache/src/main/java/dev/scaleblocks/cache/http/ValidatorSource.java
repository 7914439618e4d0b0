package dev.scaleblocks.cache.http;

import dev.scaleblocks.core.http.HttpRequestView;
import org.jspecify.annotations.Nullable;

/**
 * Gives the validators of the representation a request targets, cheaply and before the
 * application renders anything: typically from a cache entry's version, e.g. with a {@code
 * TieredCache}:
 *
 * {@snippet :
 * ValidatorSource source = request -> {
 *   CacheEntry<Item> entry = cache.getEntryIfPresent(itemId(request));
 *   return entry == null ? null : Validators.ofVersion(entry.version(), entry.writeTime());
 * };
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
}
