package dev.scaleblocks.core.servlet;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.http.HttpRequestView;
import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * An {@link HttpRequestView} over an {@link HttpServletRequest}. The path is the request URI
 * without the context path.
 *
 * <p>A view of the live request: use it on the request's thread only. Cheap: no copying until a
 * multi-valued header is asked for.
 */
public final class ServletRequestView implements HttpRequestView {

  private final HttpServletRequest request;

  private ServletRequestView(HttpServletRequest request) {
    this.request = request;
  }

  /** A view of {@code request}. */
  public static ServletRequestView of(HttpServletRequest request) {
    return new ServletRequestView(requireNonNull(request, "request"));
  }

  /** The request viewed. */
  public HttpServletRequest request() {
    return request;
  }

  @Override
  public String method() {
    String m = request.getMethod();
    return m == null ? "GET" : m.toUpperCase(Locale.ROOT);
  }

  @Override
  public String path() {
    String uri = request.getRequestURI();
    if (uri == null || uri.isEmpty()) {
      return "/";
    }
    String context = request.getContextPath();
    if (context != null && !context.isEmpty() && uri.startsWith(context)) {
      uri = uri.substring(context.length());
    }
    return uri.isEmpty() ? "/" : uri;
  }

  @Override
  public @Nullable String header(String name) {
    return request.getHeader(name);
  }

  @Override
  public List<String> headers(String name) {
    Enumeration<String> values = request.getHeaders(name);
    if (values == null || !values.hasMoreElements()) {
      return List.of();
    }
    List<String> out = new ArrayList<>(2);
    out.addAll(Collections.list(values));
    return out;
  }

  @Override
  public @Nullable String remoteAddress() {
    return request.getRemoteAddr();
  }

  @Override
  public @Nullable Principal principal() {
    return request.getUserPrincipal();
  }
}
