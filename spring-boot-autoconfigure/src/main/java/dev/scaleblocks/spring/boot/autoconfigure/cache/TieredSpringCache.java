package dev.scaleblocks.spring.boot.autoconfigure.cache;

import dev.scaleblocks.cache.TieredCache;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache;
import org.springframework.cache.support.SimpleValueWrapper;

/**
 * A Spring {@link Cache} over a {@link TieredCache}: {@code @Cacheable} gets the L1, the Redis L2
 * and cross-instance invalidation. Keys become strings ({@code String} keys as they are, others by
 * {@code toString()}, as Spring Data Redis does), so key classes need a stable, unique {@code
 * toString()} ({@code SimpleKey}, records, boxed primitives have one).
 *
 * <p>{@link #get(Object, Callable)} ({@code @Cacheable(sync = true)}) loads through the cache's
 * single-flight loader: one call per key per instance however many threads miss together. A null
 * result is remembered for the negative TTL there. {@link #put} with a null value removes the key
 * instead (the other paths cannot tell a remembered null from a miss).
 *
 * <p>Thread-safe. Costs are those of the tiered cache plus one key-to-string conversion.
 */
public final class TieredSpringCache implements Cache {

  private final TieredCache<String, Object> cache;

  public TieredSpringCache(TieredCache<String, Object> cache) {
    this.cache = cache;
  }

  static String key(Object key) {
    return key instanceof String s ? s : String.valueOf(key);
  }

  @Override
  public String getName() {
    return cache.name();
  }

  @Override
  public TieredCache<String, Object> getNativeCache() {
    return cache;
  }

  @Override
  public @Nullable ValueWrapper get(Object key) {
    Object v = cache.getIfPresent(key(key));
    return v == null ? null : new SimpleValueWrapper(v);
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> @Nullable T get(Object key, @Nullable Class<T> type) {
    Object v = cache.getIfPresent(key(key));
    if (v != null && type != null && !type.isInstance(v)) {
      throw new IllegalStateException("cached value of key " + key + " in cache " + getName()
          + " is not of required type " + type.getName() + ": " + v.getClass().getName());
    }
    return (T) v;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> @Nullable T get(Object key, Callable<T> valueLoader) {
    try {
      return (T) cache.get(key(key), k -> {
        try {
          return valueLoader.call();
        } catch (Exception e) {
          throw new LoaderFailure(e);
        }
      });
    } catch (RuntimeException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof LoaderFailure f) {
          throw new ValueRetrievalException(key, valueLoader, f.getCause());
        }
      }
      throw e;
    }
  }

  @Override
  public @Nullable CompletableFuture<?> retrieve(Object key) {
    return cache.getIfPresentAsync(key(key));
  }

  /**
   * Loads on the cache's bounded executor, waiting there for {@code valueLoader}'s future (or on the
   * calling thread when that executor is saturated).
   */
  @Override
  @SuppressWarnings("unchecked")
  public <T> CompletableFuture<T> retrieve(Object key, Supplier<CompletableFuture<T>> valueLoader) {
    return (CompletableFuture<T>) cache.getAsync(key(key), k -> valueLoader.get().join());
  }

  @Override
  public void put(Object key, @Nullable Object value) {
    if (value == null) {
      cache.invalidate(key(key));
    } else {
      cache.put(key(key), value);
    }
  }

  @Override
  public void evict(Object key) {
    cache.invalidate(key(key));
  }

  @Override
  public void clear() {
    cache.invalidateAll();
  }

  /** Carries a checked loader exception through the cache. */
  private static final class LoaderFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LoaderFailure(Exception cause) {
      super(cause);
    }
  }
}
