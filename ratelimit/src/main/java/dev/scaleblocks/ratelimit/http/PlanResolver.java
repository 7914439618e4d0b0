package dev.scaleblocks.ratelimit.http;

import static dev.scaleblocks.core.internal.Checks.requireNonEmpty;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.http.HttpRequestView;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Derives the plan of a request (its tenant's {@link dev.scaleblocks.ratelimit.TenantPolicies}
 * plan): {@code "free"}, {@code "pro"}, ... A null or unknown plan is decided by the plans' default
 * plan, or not limited by the route when they have none (counted as an error).
 *
 * <p>Implementations must be thread-safe, fast (they run on every request, on Netty's event loop:
 * look the plan up in memory, never in a database) and must never throw on malformed input; an
 * exception is treated as a null plan.
 */
@FunctionalInterface
public interface PlanResolver {

  /** The plan of {@code request}, or null when it has none. */
  @Nullable String plan(HttpRequestView request);

  /**
   * The plan that {@code planOf} gives for the value of header {@code name} (e.g. an API key to
   * its account's plan, from an in-memory map); null when the header is absent or blank. Never
   * name the plan after a header the client chooses freely.
   */
  static PlanResolver header(String name, Function<String, @Nullable String> planOf) {
    requireNonEmpty(name, "name");
    requireNonNull(planOf, "planOf");
    return request -> {
      String value = request.header(name);
      if (value == null || value.isBlank()) {
        return null;
      }
      return planOf.apply(value.trim());
    };
  }
}
