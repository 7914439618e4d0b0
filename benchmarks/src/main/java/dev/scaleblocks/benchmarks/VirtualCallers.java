package dev.scaleblocks.benchmarks;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs a benchmark's calls on virtual threads, for the {@code …Virtual64} rows: a given number of
 * virtual threads, started by one invocation on one JMH thread, each make their share of the calls,
 * and the invocation ends when all have. The benchmarks module builds for Java 17, so the factory
 * is looked up when the class loads; on a JVM without virtual threads (before 21) {@link #run}
 * throws, and {@code scripts/bench.sh} leaves those rows out there.
 */
public final class VirtualCallers {

  /** A factory of virtual threads, or null on a JVM that has none. */
  private static final @Nullable ThreadFactory FACTORY = lookUp();

  private VirtualCallers() {}

  private static @Nullable ThreadFactory lookUp() {
    try {
      Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
      return (ThreadFactory)
          Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }

  /**
   * Starts {@code callers} virtual threads that call {@code call} {@code perCaller} times each
   * and waits for all of them; how many calls returned true.
   */
  public static int run(int callers, int perCaller, BooleanSupplier call)
      throws InterruptedException {
    ThreadFactory factory = FACTORY;
    if (factory == null) {
      throw new UnsupportedOperationException(
          "the …Virtual64 rows need Java 21 or later (virtual threads); this JVM is "
              + Runtime.version());
    }
    AtomicInteger yes = new AtomicInteger();
    Thread[] threads = new Thread[callers];
    for (int i = 0; i < threads.length; i++) {
      threads[i] = factory.newThread(() -> {
        int mine = 0;
        for (int c = 0; c < perCaller; c++) {
          if (call.getAsBoolean()) {
            mine++;
          }
        }
        yes.addAndGet(mine);
      });
      threads[i].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    return yes.get();
  }
}
