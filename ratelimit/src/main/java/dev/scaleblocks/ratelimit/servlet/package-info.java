/**
 * Jakarta Servlet 6 adapter of the rate limiter: {@link dev.scaleblocks.ratelimit.servlet.RateLimitFilter}.
 * The servlet API is a {@code provided} dependency.
 */
@NullMarked
package dev.scaleblocks.ratelimit.servlet;

import org.jspecify.annotations.NullMarked;
