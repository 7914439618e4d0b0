package dev.scaleblocks.core;

/**
 * A source of nanosecond time, read for elapsed-time measurement only (never wall-clock time).
 *
 * <p>Every time-driven component in scaleblocks reads time through a {@code Ticker} handed to its
 * builder, so that tests advance a fake ticker instead of sleeping.
 *
 * <p>Implementations must be thread-safe and cheap: {@link #read()} sits on hot paths.
 */
@FunctionalInterface
public interface Ticker {

  /** Returns the number of nanoseconds elapsed since an arbitrary, fixed point of origin. */
  long read();

  /** Returns a ticker backed by {@link System#nanoTime()}. Thread-safe; costs one {@code nanoTime}. */
  static Ticker system() {
    return SystemTicker.INSTANCE;
  }
}

enum SystemTicker implements Ticker {
  INSTANCE;

  @Override
  public long read() {
    return System.nanoTime();
  }
}
