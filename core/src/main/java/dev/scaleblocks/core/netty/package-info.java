/**
 * Netty 4.2 adapters of the core module: {@link dev.scaleblocks.core.netty.CorrelationHandler}.
 * Netty is a {@code provided} dependency: a servlet-only application never loads this package.
 */
@NullMarked
package dev.scaleblocks.core.netty;

import org.jspecify.annotations.NullMarked;
