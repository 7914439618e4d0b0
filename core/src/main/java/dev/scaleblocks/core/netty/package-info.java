/**
 * Netty 4.2 adapters of the core module: {@link dev.scaleblocks.core.netty.CorrelationHandler},
 * the refusal of malformed requests shared by every scaleblocks handler ({@link
 * dev.scaleblocks.core.netty.MalformedRequests}) and the safe server pipeline ({@link
 * dev.scaleblocks.core.netty.SafeHttpServerPipeline}).
 * Netty is a {@code provided} dependency: a servlet-only application never loads this package.
 */
@NullMarked
package dev.scaleblocks.core.netty;

import org.jspecify.annotations.NullMarked;
