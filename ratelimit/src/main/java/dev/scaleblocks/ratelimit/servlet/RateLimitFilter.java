package dev.scaleblocks.ratelimit.servlet;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.servlet.ServletRequestView;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
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
 * trip). With refunds configured ({@link HttpRateLimit.Builder#refundWhen}, {@link
 * HttpRateLimit.Builder#refundCancelled}), reports how each admitted request ended: the response
 * status once the chain returns, or once an async request completes; a chain that throws an {@code
 * IOException} (the client went away) as cancelled, any other exception as status 500. Refunds are
 * sent without waiting for them. Thread-safe; one instance serves every request.
 */
// a refund is sent and not waited for: its future never completes exceptionally
@SuppressWarnings("FutureReturnValueIgnored")
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
      if (!rateLimit.refunds()) {
        chain.doFilter(req, res);
        return;
      }
      try {
        chain.doFilter(req, res);
      } catch (IOException e) {
        outcome.cancelled();
        throw e;
      } catch (ServletException | RuntimeException | Error e) {
        outcome.complete(500);
        throw e;
      }
      if (request.isAsyncStarted()) {
        request.getAsyncContext().addListener(new Reporter(outcome, response));
      } else {
        outcome.complete(response.getStatus());
      }
      return;
    }
    byte[] body = outcome.problemBody().getBytes(StandardCharsets.UTF_8);
    response.setStatus(outcome.status());
    response.setContentType("application/problem+json");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  /** Reports how an async request ended: its status when it completes, else cancelled. */
  private static final class Reporter implements AsyncListener {
    private final HttpRateLimit.Outcome outcome;
    private final HttpServletResponse response;

    Reporter(HttpRateLimit.Outcome outcome, HttpServletResponse response) {
      this.outcome = outcome;
      this.response = response;
    }

    @Override
    public void onComplete(AsyncEvent event) {
      outcome.complete(response.getStatus()); // after onError or onTimeout: already settled
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      // the container answers a timeout itself (500 unless a listener answers); onComplete follows
    }

    @Override
    public void onError(AsyncEvent event) {
      if (event.getThrowable() instanceof IOException) {
        outcome.cancelled(); // the client went away
      }
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      event.getAsyncContext().addListener(this); // a listener lasts one async cycle
    }
  }
}
