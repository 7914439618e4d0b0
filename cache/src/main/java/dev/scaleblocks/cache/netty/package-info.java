/**
 * Netty adapters of HTTP caching: conditional requests answered before the application renders,
 * and body-hash entity tags with a size cap. The netty API is a {@code provided} dependency.
 */
@NullMarked
package dev.scaleblocks.cache.netty;

import org.jspecify.annotations.NullMarked;
