package dev.scaleblocks.core.http;

import java.lang.reflect.Method;
import org.slf4j.MDC;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;

/**
 * The test logging binding (slf4j-simple) keeps no MDC at all; tests that assert on the MDC call
 * {@link #enable()} to swap its no-op adapter for SLF4J's own thread-local {@link BasicMDCAdapter}.
 */
public final class TestMdc {

  private TestMdc() {}

  /** Makes {@link MDC} keep values, once per JVM; a no-op when the binding already does. */
  public static synchronized void enable() {
    if (!(MDC.getMDCAdapter() instanceof NOPMDCAdapter)) {
      return;
    }
    try {
      Method set = MDC.class.getDeclaredMethod("setMDCAdapter", MDCAdapter.class);
      set.setAccessible(true);
      set.invoke(null, new BasicMDCAdapter());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot install an MDC adapter for tests", e);
    }
  }
}
