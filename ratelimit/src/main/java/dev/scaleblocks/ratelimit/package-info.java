/**
 * Rate limiters: token bucket, fixed window, sliding-window counter and GCRA, decided locally or
 * in Redis with one round trip. Start at {@link dev.scaleblocks.ratelimit.RateLimiter}.
 */
@NullMarked
package dev.scaleblocks.ratelimit;

import org.jspecify.annotations.NullMarked;
