/**
 * Jakarta Servlet 6 adapters of the core module: {@link dev.scaleblocks.core.servlet.CorrelationFilter}.
 * The servlet API is a {@code provided} dependency: a Netty-only application never loads this package.
 */
@NullMarked
package dev.scaleblocks.core.servlet;

import org.jspecify.annotations.NullMarked;
