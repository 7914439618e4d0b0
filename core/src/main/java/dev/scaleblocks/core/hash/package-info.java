/**
 * Key hashing with published test vectors: xxHash64 and MurmurHash3 x64 128-bit, allocation-free
 * for byte arrays, longs and ASCII strings. See {@link dev.scaleblocks.core.hash.Hashing}.
 */
@NullMarked
package dev.scaleblocks.core.hash;

import org.jspecify.annotations.NullMarked;
