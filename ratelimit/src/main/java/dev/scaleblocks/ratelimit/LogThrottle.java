package dev.scaleblocks.ratelimit;

import dev.scaleblocks.core.Ticker;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets one log line through per interval and counts the ones held back, so a flapping condition
 * writes a line every {@code interval} (saying how many it suppressed) instead of one per event.
 *
 * <p>Thread-safe: a CAS on the time of the last line, no lock.
 */
final class LogThrottle {

  private final Ticker ticker;
  private final long intervalNanos;
  private final AtomicLong last;
  private final AtomicLong suppressed = new AtomicLong();

  LogThrottle(Ticker ticker, long intervalNanos) {
    this.ticker = ticker;
    this.intervalNanos = intervalNanos;
    this.last = new AtomicLong(ticker.read() - intervalNanos);
  }

  /**
   * Returns -1 when the line should be held back; otherwise the number of lines held back since
   * the last one that went through (to be written with it).
   */
  long tryAcquire() {
    long now = ticker.read();
    long prev = last.get();
    if (now - prev >= intervalNanos && last.compareAndSet(prev, now)) {
      return suppressed.getAndSet(0);
    }
    suppressed.incrementAndGet();
    return -1;
  }
}
