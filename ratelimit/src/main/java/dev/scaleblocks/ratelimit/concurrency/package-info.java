/**
 * Adaptive concurrency limits (load shedding): {@link
 * dev.scaleblocks.ratelimit.concurrency.ConcurrencyLimit} learns from latency how many requests the
 * service can work on at once; the servlet filter and the Netty handler refuse the excess with 503
 * and {@code Retry-After}.
 */
@NullMarked
package dev.scaleblocks.ratelimit.concurrency;

import org.jspecify.annotations.NullMarked;
