package dev.scaleblocks.spring.boot.autoconfigure.ratelimit;

import dev.scaleblocks.ratelimit.RateLimiter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.DisposableBean;

/**
 * The rate limiters of the application, by policy name: those built from {@code
 * scaleblocks.ratelimit.policies.*} and the application's own {@link RateLimiter} beans (which win
 * over a configured policy of the same name). Closes the limiters it built when the context closes;
 * the application's beans are closed by their own lifecycle.
 *
 * <p>Immutable after construction and thread-safe; {@link #get} is one map read.
 */
public final class RateLimiters implements DisposableBean {

  private final Map<String, RateLimiter> limiters;
  private final List<RateLimiter> owned;

  RateLimiters(Map<String, RateLimiter> limiters, List<RateLimiter> owned) {
    this.limiters = Map.copyOf(limiters);
    this.owned = List.copyOf(owned);
  }

  /**
   * The limiter of policy {@code name}.
   *
   * @throws IllegalArgumentException when there is none
   */
  public RateLimiter get(String name) {
    RateLimiter l = limiters.get(name);
    if (l == null) {
      throw new IllegalArgumentException(
          "no rate limit policy named " + name + "; known: " + limiters.keySet());
    }
    return l;
  }

  /** Every limiter, by policy name. */
  public Map<String, RateLimiter> all() {
    return new LinkedHashMap<>(limiters);
  }

  @Override
  public void destroy() {
    Closing.closeAll(owned);
  }
}
