package dev.scaleblocks.spring.boot.autoconfigure.cache;

import dev.scaleblocks.cache.TieredCache;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
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
 * <p>Thread-safe; {@link #getCache} is one map read once a cache exists. A cache made on first use
 * is made once however many threads ask for it at once (the others wait for it), and by no lock:
 * making it may talk to Redis (its invalidation subscription waits up to 2 s for Redis), so
 * another name's first use, or a cache that exists, never waits behind it. A creation that fails
 * is thrown to every caller waiting for it and tried again on the next use.
 */
public final class TieredCacheManager implements CacheManager, DisposableBean {

  private final Map<String, TieredSpringCache> caches = new ConcurrentHashMap<>();
  /** Creations under way, by name; removed when done. */
  private final Map<String, FutureTask<TieredSpringCache>> making = new ConcurrentHashMap<>();
  private final Queue<TieredCache<String, Object>> owned = new ConcurrentLinkedQueue<>();
  private final @Nullable Function<String, TieredCache<String, Object>> factory;
  private volatile boolean closed;

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
    Function<String, TieredCache<String, Object>> f = factory;
    if (c != null || f == null) {
      return c;
    }
    FutureTask<TieredSpringCache> mine = new FutureTask<>(() -> make(name, f));
    FutureTask<TieredSpringCache> task = making.putIfAbsent(name, mine);
    if (task == null) {
      task = mine;
      try {
        mine.run();
      } finally {
        making.remove(name, mine);
      }
    }
    return await(task);
  }

  private TieredSpringCache make(String name, Function<String, TieredCache<String, Object>> f) {
    TieredSpringCache existing = caches.get(name); // made by a task that finished just before
    if (existing != null) {
      return existing;
    }
    if (closed) {
      throw new IllegalStateException("the cache manager is closed; no cache named " + name + " is made");
    }
    TieredCache<String, Object> made = f.apply(name);
    owned.add(made);
    TieredSpringCache c = new TieredSpringCache(made);
    caches.put(name, c);
    if (closed) { // destroyed while this one was made: closed here unless destroy() took it
      if (owned.remove(made)) {
        made.close();
      }
      throw new IllegalStateException("the cache manager is closed; no cache named " + name + " is made");
    }
    return c;
  }

  private static TieredSpringCache await(FutureTask<TieredSpringCache> task) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return task.get();
        } catch (InterruptedException e) {
          interrupted = true; // the cache is made by another caller; wait for it all the same
        }
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public Collection<String> getCacheNames() {
    return List.copyOf(new LinkedHashMap<>(caches).keySet());
  }

  @Override
  public void destroy() {
    closed = true;
    TieredCache<String, Object> c;
    while ((c = owned.poll()) != null) {
      c.close();
    }
  }
}
