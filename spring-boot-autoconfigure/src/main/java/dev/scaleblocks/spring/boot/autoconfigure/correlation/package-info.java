/** Auto-configuration of scaleblocks' correlation, bound to {@code scaleblocks.correlation.*}. */
@NullMarked
package dev.scaleblocks.spring.boot.autoconfigure.correlation;

import org.jspecify.annotations.NullMarked;
