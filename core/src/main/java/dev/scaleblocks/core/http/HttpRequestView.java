package dev.scaleblocks.core.http;

import java.security.Principal;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A read-only, framework-neutral view of an incoming HTTP request, implemented by the servlet and
 * Netty adapters so that key resolvers, skip predicates and validator sources are written once.
 *
 * <p>Implementations are views over the live request: use one only on the thread handling the
 * request and only while that request is being handled. Every method is cheap (a field read or a
 * header-map lookup).
 */
public interface HttpRequestView {

  /** The request method in upper case, e.g. {@code GET}. */
  String method();

  /** The request path without the query string, not decoded, e.g. {@code /api/items/7}. */
  String path();

  /** The first value of header {@code name} (case-insensitive), or null when absent. */
  @Nullable String header(String name);

  /** Every value of header {@code name} (case-insensitive) in arrival order; empty when absent. */
  List<String> headers(String name);

  /** The IP address of the TCP peer as a literal ({@code 10.0.0.7}, {@code ::1}), or null when unknown. */
  @Nullable String remoteAddress();

  /** The authenticated principal, or null when the request is anonymous or the server has none. */
  default @Nullable Principal principal() {
    return null;
  }
}
