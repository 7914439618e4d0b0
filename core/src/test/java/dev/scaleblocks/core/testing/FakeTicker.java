package dev.scaleblocks.core.testing;

import dev.scaleblocks.core.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link Ticker} that moves only when told to. Thread-safe. Shared with other modules' tests. */
public final class FakeTicker implements Ticker {

  private final AtomicLong nanos;

  public FakeTicker() {
    this(0);
  }

  public FakeTicker(long startNanos) {
    this.nanos = new AtomicLong(startNanos);
  }

  @Override
  public long read() {
    return nanos.get();
  }

  /** Moves time forward by {@code duration}. */
  public FakeTicker advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration must not be negative but was " + duration);
    }
    nanos.addAndGet(duration.toNanos());
    return this;
  }

  public FakeTicker advanceNanos(long delta) {
    return advance(Duration.ofNanos(delta));
  }

  public FakeTicker advanceMillis(long millis) {
    return advance(Duration.ofMillis(millis));
  }

  public FakeTicker advanceSeconds(long seconds) {
    return advance(Duration.ofSeconds(seconds));
  }
}
