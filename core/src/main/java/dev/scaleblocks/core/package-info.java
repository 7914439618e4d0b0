/**
 * What every scaleblocks module shares: time ({@link dev.scaleblocks.core.Ticker}), telemetry
 * wiring ({@link dev.scaleblocks.core.Telemetry}), key hashing, codecs, the remote-store circuit
 * breaker and the Redis script runner.
 */
@NullMarked
package dev.scaleblocks.core;

import org.jspecify.annotations.NullMarked;
