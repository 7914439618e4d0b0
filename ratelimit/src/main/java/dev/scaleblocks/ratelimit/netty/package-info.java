/**
 * Netty 4.2 adapter of the rate limiter: {@link dev.scaleblocks.ratelimit.netty.RateLimitHandler}.
 * Netty is a {@code provided} dependency.
 */
@NullMarked
package dev.scaleblocks.ratelimit.netty;

import org.jspecify.annotations.NullMarked;
