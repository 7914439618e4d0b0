package dev.scaleblocks.cache.servlet;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.cache.http.Conditionals;
import dev.scaleblocks.cache.http.HttpCaching;
import dev.scaleblocks.core.servlet.ServletRequestView;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/**
 * Servlet filter applying an {@link HttpCaching} configuration: answers 304 / 412 from the route's
 * {@link dev.scaleblocks.cache.http.ValidatorSource} before the application runs (no body is
 * rendered or buffered), and adds {@code ETag}, {@code Last-Modified}, {@code Cache-Control} and
 * {@code Vary} to the responses it lets through unless the application sets its own. A 304 has
 * no {@code Content-Length}; the response to a write carries no validator read before the write.
 *
 * <p>Thread-safe; one instance serves every request.
 */
public final class ConditionalRequestFilter implements Filter {

  private final HttpCaching caching;

  public ConditionalRequestFilter(HttpCaching caching) {
    this.caching = requireNonNull(caching, "caching");
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!(req instanceof HttpServletRequest request) || !(res instanceof HttpServletResponse response)) {
      chain.doFilter(req, res);
      return;
    }
    HttpCaching.Plan plan = caching.plan(ServletRequestView.of(request));
    if (plan == null) {
      chain.doFilter(req, res);
      return;
    }
    if (plan.result() == Conditionals.Result.PRECONDITION_FAILED) {
      response.setStatus(412);
      response.setContentLength(0);
      return;
    }
    for (Map.Entry<String, String> h : plan.headers()) {
      if (!response.containsHeader(h.getKey())) {
        response.setHeader(h.getKey(), h.getValue());
      }
    }
    if (plan.result() == Conditionals.Result.NOT_MODIFIED) {
      response.setStatus(304);
      // committed now, before any length is known: the container would otherwise complete the
      // empty response with Content-Length: 0, which a 304 must not carry (RFC 9110 §8.6)
      response.flushBuffer();
      return;
    }
    chain.doFilter(req, res);
  }
}
