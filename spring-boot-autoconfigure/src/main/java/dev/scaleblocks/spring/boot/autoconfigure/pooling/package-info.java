/** Auto-configuration of scaleblocks' pooling, bound to {@code scaleblocks.pooling.*}. */
@NullMarked
package dev.scaleblocks.spring.boot.autoconfigure.pooling;

import org.jspecify.annotations.NullMarked;
