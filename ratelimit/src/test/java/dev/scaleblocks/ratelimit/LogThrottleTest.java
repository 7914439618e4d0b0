package dev.scaleblocks.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.testing.FakeTicker;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One line per interval, however often the condition flaps, and the count of those held back. */
class LogThrottleTest {

  @Test
  void oneLinePerIntervalWithTheCountHeldBack() {
    FakeTicker ticker = new FakeTicker(TimeUnit.DAYS.toNanos(1));
    LogThrottle throttle = new LogThrottle(ticker, TimeUnit.SECONDS.toNanos(10));
    assertThat(throttle.tryAcquire()).as("the first line goes through").isZero();
    for (int i = 0; i < 36; i++) {
      ticker.advanceMillis(100);
      assertThat(throttle.tryAcquire()).as("flap %d within the interval", i).isEqualTo(-1);
    }
    ticker.advanceMillis(10_000);
    assertThat(throttle.tryAcquire()).as("the next line says how many were held back").isEqualTo(36);
    assertThat(throttle.tryAcquire()).isEqualTo(-1);
  }
}
