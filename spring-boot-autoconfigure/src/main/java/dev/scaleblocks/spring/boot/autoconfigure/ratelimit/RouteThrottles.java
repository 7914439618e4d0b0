package dev.scaleblocks.spring.boot.autoconfigure.ratelimit;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.ratelimit.throttle.Throttle;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;

/**
 * The throttles of {@code scaleblocks.ratelimit.routes[*].throttle}, by route index, each over the
 * limiter of the one policy its route names. Closes them when the context closes, which completes
 * every waiting request with a refusal.
 *
 * <p>Immutable after construction and thread-safe; {@link #of} is one map read.
 */
public final class RouteThrottles implements DisposableBean {

  private final Map<Integer, Throttle> byRoute;

  RouteThrottles(RateLimitProperties properties, RateLimiters limiters, Telemetry telemetry) {
    Map<Integer, Throttle> made = new HashMap<>();
    Set<String> names = new HashSet<>();
    List<RateLimitProperties.Route> routes = properties.getRoutes();
    try {
      for (int i = 0; i < routes.size(); i++) {
        RateLimitProperties.Route r = routes.get(i);
        RateLimitProperties.Throttling t = r.getThrottle();
        if (t == null) {
          continue;
        }
        if (r.getPolicies().size() != 1) {
          throw new IllegalStateException("scaleblocks.ratelimit.routes[" + i
              + "].throttle needs exactly one policy but the route names " + r.getPolicies());
        }
        String policy = r.getPolicies().get(0);
        String name = names.add(policy) ? policy : policy + "-" + i;
        names.add(name);
        Throttle.Builder b = Throttle.builder(name, limiters.get(policy))
            .queueCapacity(t.getQueueCapacity())
            .maxDelay(t.getMaxDelay())
            .telemetry(telemetry);
        Integer maxKeys = t.getMaxKeys();
        if (maxKeys != null) {
          b.maxKeys(maxKeys);
        }
        if (t.isNodelay()) {
          b.nodelay();
        }
        made.put(i, b.build());
      }
    } catch (RuntimeException e) {
      made.values().forEach(Throttle::close);
      throw e;
    }
    this.byRoute = Map.copyOf(made);
  }

  /** The throttle of route {@code index}, or null when that route refuses rather than waits. */
  public @Nullable Throttle of(int index) {
    return byRoute.get(index);
  }

  @Override
  public void destroy() {
    Closing.closeAll(byRoute.values());
  }
}
