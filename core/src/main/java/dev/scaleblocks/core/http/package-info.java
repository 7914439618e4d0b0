/**
 * Framework-free HTTP building blocks shared by the servlet and Netty adapters of every module:
 * a neutral request view, route matching, and request correlation (request ids, MDC, timing).
 */
@NullMarked
package dev.scaleblocks.core.http;

import org.jspecify.annotations.NullMarked;
