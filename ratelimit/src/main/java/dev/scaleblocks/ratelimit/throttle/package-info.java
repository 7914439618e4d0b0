/**
 * Throttling with delay: {@link dev.scaleblocks.ratelimit.throttle.Throttle} queues requests over
 * a limiter's rate per key, first in first out, instead of refusing them (nginx's {@code limit_req
 * burst}), without parking a thread.
 */
@NullMarked
package dev.scaleblocks.ratelimit.throttle;

import org.jspecify.annotations.NullMarked;
