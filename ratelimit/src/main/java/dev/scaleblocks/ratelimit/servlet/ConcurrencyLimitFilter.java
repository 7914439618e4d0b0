package dev.scaleblocks.ratelimit.servlet;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.ratelimit.concurrency.ConcurrencyLimit;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Servlet filter that sheds load with a {@link ConcurrencyLimit}: a request admitted under the
 * limit runs the rest of the chain and releases its permit when the response is done (for an async
 * request, when its {@code AsyncContext} completes); a request over the limit is answered at once
 * with 503, {@code Retry-After: 1} and an {@code application/problem+json} body, and never reaches
 * the application. A response of 503 or 504 from the application, or an exception, reports the
 * permit as {@link ConcurrencyLimit.Permit#dropped() dropped} (overload below): the limit shrinks.
 *
 * <p>Place it first among the filters that do real work (after correlation, before the rate
 * limit's filter or not: the two answer different questions). Thread-safe; one instance serves
 * every request. Cost: one compare-and-set and one small allocation per request.
 */
public final class ConcurrencyLimitFilter implements Filter {

  private final ConcurrencyLimit limit;

  public ConcurrencyLimitFilter(ConcurrencyLimit limit) {
    this.limit = requireNonNull(limit, "limit");
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    ConcurrencyLimit.Permit permit = limit.tryAcquire();
    if (permit == null) {
      byte[] body = ConcurrencyLimit.problemBody();
      if (res instanceof HttpServletResponse response && !response.isCommitted()) {
        response.setStatus(503);
        response.setHeader("Retry-After", "1");
        response.setContentType("application/problem+json");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
      }
      return;
    }
    boolean async = false;
    try {
      chain.doFilter(req, res);
      if (req.isAsyncStarted()) {
        async = true;
        req.getAsyncContext().addListener(new Release(permit, res));
      }
    } catch (IOException | ServletException | RuntimeException | Error e) {
      permit.dropped();
      throw e;
    } finally {
      if (!async) {
        finish(permit, res);
      }
    }
  }

  private static void finish(ConcurrencyLimit.Permit permit, ServletResponse res) {
    int status = res instanceof HttpServletResponse r ? r.getStatus() : 200;
    if (status == 503 || status == 504) {
      permit.dropped();
    } else {
      permit.release(); // idempotent: a no-op after dropped() above
    }
  }

  /** Releases an async request's permit when it completes, times out or fails. */
  private record Release(ConcurrencyLimit.Permit permit, ServletResponse res) implements AsyncListener {
    @Override
    public void onComplete(AsyncEvent event) {
      finish(permit, res);
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      permit.dropped();
    }

    @Override
    public void onError(AsyncEvent event) {
      permit.dropped();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      event.getAsyncContext().addListener(this);
    }
  }
}
