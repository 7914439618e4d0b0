package dev.scaleblocks.spring.boot.autoconfigure.ratelimit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Closes what a bean owns when the context closes. */
final class Closing {

  private Closing() {}

  /**
   * Closes every one of {@code all}, each even when an earlier one fails; then throws the first
   * failure with the others suppressed, if any.
   */
  static void closeAll(Collection<? extends AutoCloseable> all) {
    List<Exception> failures = new ArrayList<>();
    for (AutoCloseable c : all) {
      try {
        c.close();
      } catch (Exception e) {
        failures.add(e);
      }
    }
    if (!failures.isEmpty()) {
      Exception first = failures.get(0);
      failures.stream().skip(1).forEach(first::addSuppressed);
      throw first instanceof RuntimeException r ? r : new IllegalStateException(first);
    }
  }
}
