/**
 * Framework-free HTTP caching shared by the servlet and Netty adapters: entity tags ({@link
 * dev.scaleblocks.cache.http.EntityTag}), RFC 9110 conditional request evaluation ({@link
 * dev.scaleblocks.cache.http.Conditionals}), {@link dev.scaleblocks.cache.http.CacheControl} and
 * per-route policies ({@link dev.scaleblocks.cache.http.HttpCaching}).
 */
@NullMarked
package dev.scaleblocks.cache.http;

import org.jspecify.annotations.NullMarked;
