package dev.scaleblocks.core.testing;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures how long this JVM's threads may go unscheduled: a daemon thread parks for 1 ms in a
 * loop and keeps the longest overshoot. A fault test adds it to its latency bound, so that a
 * machine that stalls every thread at once (other builds on a shared machine, a GC pause) widens
 * the bound by what it stalled, not more, and a real wait (seconds) still fails the test.
 */
public final class StallMeter implements AutoCloseable {

  private static final long PARK_NANOS = 1_000_000;

  private final AtomicLong longest = new AtomicLong();
  private final Thread thread;
  private volatile boolean stop;

  private StallMeter() {
    thread = new Thread(() -> {
      while (!stop) {
        long start = System.nanoTime();
        LockSupport.parkNanos(PARK_NANOS);
        long overshoot = System.nanoTime() - start - PARK_NANOS;
        longest.accumulateAndGet(overshoot, Math::max);
      }
    }, "stall-meter");
    thread.setDaemon(true);
  }

  /** Starts measuring. */
  public static StallMeter start() {
    StallMeter m = new StallMeter();
    m.thread.start();
    return m;
  }

  /** The longest stall seen so far (ns). */
  public long longestNanos() {
    return longest.get();
  }

  /** Forgets what was seen so far, for a new window. */
  public void reset() {
    longest.set(0);
  }

  @Override
  public void close() {
    stop = true;
  }
}
