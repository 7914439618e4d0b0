/** Implementation details shared between scaleblocks modules. Not an API: may change in any release. */
@NullMarked
package dev.scaleblocks.core.internal;

import org.jspecify.annotations.NullMarked;
