/** The {@link dev.scaleblocks.core.codec.Codec} SPI and the built-in codecs. */
@NullMarked
package dev.scaleblocks.core.codec;

import org.jspecify.annotations.NullMarked;
