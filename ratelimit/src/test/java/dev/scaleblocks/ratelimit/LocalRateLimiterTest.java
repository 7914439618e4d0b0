package dev.scaleblocks.ratelimit;

/** The contract on the in-memory store. */
class LocalRateLimiterTest extends RateLimiterContract {

  @Override
  protected RateLimiterBuilder store(RateLimiterBuilder builder) {
    return builder.local();
  }
}
