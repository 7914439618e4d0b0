package dev.scaleblocks.ratelimit.servlet;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.servlet.ServletRequestView;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Servlet filter that rate-limits requests as configured by an {@link HttpRateLimit}: adds the
 * rate-limit headers to every limited response and answers rejected requests itself with 429 (or
 * 503), {@code Retry-After} and an {@code application/problem+json} body, without calling the
 * rest of the chain.
 *
 * <p>Decides on the request thread with {@code tryAcquire} (a Redis-backed limiter makes one round
 * trip). Thread-safe; one instance serves every request.
 */
public final class RateLimitFilter implements Filter {

  private final HttpRateLimit rateLimit;

  public RateLimitFilter(HttpRateLimit rateLimit) {
    this.rateLimit = requireNonNull(rateLimit, "rateLimit");
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!(req instanceof HttpServletRequest request) || !(res instanceof HttpServletResponse response)) {
      chain.doFilter(req, res);
      return;
    }
    HttpRateLimit.Pending pending = rateLimit.prepare(ServletRequestView.of(request));
    if (pending == null) {
      chain.doFilter(req, res);
      return;
    }
    HttpRateLimit.Outcome outcome = pending.decide();
    for (Map.Entry<String, String> h : outcome.headers()) {
      response.setHeader(h.getKey(), h.getValue());
    }
    if (!outcome.rejected()) {
      chain.doFilter(req, res);
      return;
    }
    byte[] body = outcome.problemBody().getBytes(StandardCharsets.UTF_8);
    response.setStatus(outcome.status());
    response.setContentType("application/problem+json");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }
}
