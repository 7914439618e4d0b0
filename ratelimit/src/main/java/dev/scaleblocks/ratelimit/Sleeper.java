package dev.scaleblocks.ratelimit;

import java.util.concurrent.TimeUnit;

/** How {@link RateLimiter#acquire} waits; tests substitute one that advances a fake ticker. */
@FunctionalInterface
interface Sleeper {
  Sleeper SYSTEM = TimeUnit.NANOSECONDS::sleep;

  void sleep(long nanos) throws InterruptedException;
}
