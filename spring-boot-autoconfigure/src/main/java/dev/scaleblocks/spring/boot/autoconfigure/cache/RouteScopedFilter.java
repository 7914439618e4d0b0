package dev.scaleblocks.spring.boot.autoconfigure.cache;

import dev.scaleblocks.core.http.RequestMatcher;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.List;

/**
 * A servlet filter applied only to the requests one of its routes matches (same matching as the
 * rate limit and caching routes: method and path within the application); the others pass through.
 * Thread-safe; cost per request: one matcher pass per route until a match.
 */
public final class RouteScopedFilter implements Filter {

  private final List<RequestMatcher> routes;
  private final Filter delegate;

  RouteScopedFilter(List<RequestMatcher> routes, Filter delegate) {
    this.routes = List.copyOf(routes);
    this.delegate = delegate;
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (req instanceof HttpServletRequest http && matches(http)) {
      delegate.doFilter(req, res, chain);
    } else {
      chain.doFilter(req, res);
    }
  }

  private boolean matches(HttpServletRequest request) {
    String method = request.getMethod();
    String path = dev.scaleblocks.core.servlet.ServletRequestView.of(request).path();
    for (RequestMatcher m : routes) {
      if (m.matches(method, path)) {
        return true;
      }
    }
    return false;
  }
}
