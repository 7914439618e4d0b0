/** Auto-configuration of scaleblocks' cache, bound to {@code scaleblocks.cache.*}. */
@NullMarked
package dev.scaleblocks.spring.boot.autoconfigure.cache;

import org.jspecify.annotations.NullMarked;
