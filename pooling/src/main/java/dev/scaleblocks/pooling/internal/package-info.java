/** Database-specific probes behind the pooling module. Not part of the public API. */
@NullMarked
package dev.scaleblocks.pooling.internal;

import org.jspecify.annotations.NullMarked;
