/**
 * Servlet adapters of HTTP caching: conditional requests answered before the application renders,
 * and body-hash entity tags with a size cap. The servlet API is a {@code provided} dependency.
 */
@NullMarked
package dev.scaleblocks.cache.servlet;

import org.jspecify.annotations.NullMarked;
