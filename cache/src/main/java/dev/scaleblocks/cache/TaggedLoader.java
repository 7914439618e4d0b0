package dev.scaleblocks.cache;

import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A loader given with tags ({@link TieredCache#get(Object, Function, java.util.Set)}): loads as the
 * loader does, and tells the load path to write its value with the tags (see {@link
 * DefaultTieredCache#loadAndStore}). Refresh-ahead started by such a call keeps the tags.
 *
 * <p>Immutable. Cost: one allocation per call.
 */
record TaggedLoader<K, V>(Function<? super K, ? extends @Nullable V> loader, TagSet tags)
    implements Function<K, @Nullable V> {

  @Override
  public @Nullable V apply(K key) {
    return loader.apply(key);
  }
}
