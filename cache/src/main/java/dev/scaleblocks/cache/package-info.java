/**
 * The two-tier cache: a Caffeine L1 in each JVM in front of an optional Redis L2 shared by every
 * instance, kept coherent over Redis pub/sub. Start at {@link dev.scaleblocks.cache.TieredCache}.
 */
@NullMarked
package dev.scaleblocks.cache;

import org.jspecify.annotations.NullMarked;
