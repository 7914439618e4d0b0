package dev.scaleblocks.spring.boot.autoconfigure.cache;

import dev.scaleblocks.cache.TieredCache;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;

/**
 * A {@link CacheManager} whose caches are {@link TieredCache}s: those configured under {@code
 * scaleblocks.cache.caches}, the application's {@code TieredCache} beans, and (when {@code
 * scaleblocks.cache.dynamic} is on) any other name on first use, with the defaults. Closes the
 * caches it built when the context closes.
 *
 * <p>Thread-safe; {@link #getCache} is one map read once a cache exists.
 */
public final class TieredCacheManager implements CacheManager, DisposableBean {

  private final Map<String, TieredSpringCache> caches = new ConcurrentHashMap<>();
  private final List<TieredCache<String, Object>> owned = new ArrayList<>();
  private final @Nullable Function<String, TieredCache<String, Object>> factory;

  /**
   * @param fixed the caches known at startup; {@code ownedByManager} those among them to close
   * @param factory makes a cache for an unknown name, or null to answer null for it
   */
  public TieredCacheManager(Map<String, TieredCache<String, Object>> fixed,
      Collection<TieredCache<String, Object>> ownedByManager,
      @Nullable Function<String, TieredCache<String, Object>> factory) {
    fixed.forEach((name, c) -> caches.put(name, new TieredSpringCache(c)));
    this.owned.addAll(ownedByManager);
    this.factory = factory;
  }

  @Override
  public @Nullable Cache getCache(String name) {
    TieredSpringCache c = caches.get(name);
    if (c != null || factory == null) {
      return c;
    }
    synchronized (owned) {
      c = caches.get(name);
      if (c == null) {
        TieredCache<String, Object> made = factory.apply(name);
        owned.add(made);
        c = new TieredSpringCache(made);
        caches.put(name, c);
      }
      return c;
    }
  }

  @Override
  public Collection<String> getCacheNames() {
    return List.copyOf(new LinkedHashMap<>(caches).keySet());
  }

  @Override
  public void destroy() {
    List<TieredCache<String, Object>> toClose;
    synchronized (owned) {
      toClose = new ArrayList<>(owned);
      owned.clear();
    }
    for (TieredCache<String, Object> c : toClose) {
      c.close();
    }
  }
}
