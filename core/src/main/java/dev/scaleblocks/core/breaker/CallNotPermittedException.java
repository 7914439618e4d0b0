package dev.scaleblocks.core.breaker;

/**
 * Thrown by {@link CircuitBreaker#call} when the breaker is open (or half-open with no trial call
 * left). It carries no stack trace: it is thrown on the fast path, often, by design.
 */
public final class CallNotPermittedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  CallNotPermittedException(String breakerName, CircuitBreaker.State state) {
    super("circuit breaker " + breakerName + " is " + state.name().toLowerCase(java.util.Locale.ROOT)
        + " and does not permit calls", null, false, false);
  }
}
