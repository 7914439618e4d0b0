/**
 * Framework-free HTTP rate limiting shared by the servlet filter and the Netty handler: routes and
 * their limiters ({@link dev.scaleblocks.ratelimit.http.HttpRateLimit}), key resolvers ({@link
 * dev.scaleblocks.ratelimit.http.KeyResolver}, {@link dev.scaleblocks.ratelimit.http.ClientIpResolver})
 * and the IETF {@code RateLimit} / {@code RateLimit-Policy} headers.
 */
@NullMarked
package dev.scaleblocks.ratelimit.http;

import org.jspecify.annotations.NullMarked;
