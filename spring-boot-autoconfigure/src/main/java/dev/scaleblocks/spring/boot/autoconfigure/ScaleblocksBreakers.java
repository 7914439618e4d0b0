package dev.scaleblocks.spring.boot.autoconfigure;

import dev.scaleblocks.core.breaker.CircuitBreaker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import org.springframework.beans.factory.DisposableBean;

/**
 * The circuit breakers the auto-configuration made for the blocks it built (one per Redis-backed
 * rate-limit policy, one per cache with a Redis L2), by name, for the health endpoint. The
 * breakers are closed with the application context, after the blocks that use them.
 *
 * <p>Thread-safe; lookups cost a map read.
 */
public final class ScaleblocksBreakers implements DisposableBean {

  private final Map<String, CircuitBreaker> breakers = new ConcurrentSkipListMap<>();

  /** Adds {@code breaker}; a second breaker of one name is refused. */
  public void add(CircuitBreaker breaker) {
    CircuitBreaker before = breakers.putIfAbsent(breaker.name(), breaker);
    if (before != null && before != breaker) {
      throw new IllegalStateException("a circuit breaker named " + breaker.name() + " is already registered");
    }
  }

  /** Every breaker, by name. */
  public Map<String, CircuitBreaker> all() {
    return Map.copyOf(breakers);
  }

  @Override
  public void destroy() {
    List<CircuitBreaker> open = new ArrayList<>(breakers.values());
    breakers.clear();
    for (CircuitBreaker b : open) {
      b.close();
    }
  }
}
