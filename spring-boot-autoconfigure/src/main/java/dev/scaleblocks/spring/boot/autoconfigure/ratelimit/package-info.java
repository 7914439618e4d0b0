/** Auto-configuration of scaleblocks' ratelimit, bound to {@code scaleblocks.ratelimit.*}. */
@NullMarked
package dev.scaleblocks.spring.boot.autoconfigure.ratelimit;

import org.jspecify.annotations.NullMarked;
