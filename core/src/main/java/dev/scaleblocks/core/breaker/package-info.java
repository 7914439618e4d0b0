/** The circuit breaker that guards every remote-store call in scaleblocks. */
@NullMarked
package dev.scaleblocks.core.breaker;

import org.jspecify.annotations.NullMarked;
