package dev.scaleblocks.core.servlet;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import dev.scaleblocks.core.http.RequestCorrelation;
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

/**
 * Servlet filter for request correlation and telemetry (see {@link RequestCorrelation}): resolves
 * the request id, echoes it on the response, exposes it as request attribute {@link
 * #REQUEST_ID_ATTRIBUTE}, puts it in the SLF4J MDC while the chain runs, and times the request
 * (asynchronous requests are timed until they complete).
 *
 * <p>Map it first, for every dispatcher type you want timed ({@code REQUEST} is enough for most).
 * Thread-safe; one instance serves every request.
 */
public final class CorrelationFilter implements Filter {

  /** The request attribute holding the request id ({@code String}). */
  public static final String REQUEST_ID_ATTRIBUTE = "dev.scaleblocks.requestId";

  private final RequestCorrelation correlation;

  public CorrelationFilter(RequestCorrelation correlation) {
    this.correlation = requireNonNull(correlation, "correlation");
  }

  /** A filter with {@link RequestCorrelation#defaults()}. */
  public CorrelationFilter() {
    this(RequestCorrelation.defaults());
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!(req instanceof HttpServletRequest request) || !(res instanceof HttpServletResponse response)
        || req.getAttribute(REQUEST_ID_ATTRIBUTE) != null) {
      chain.doFilter(req, res);
      return;
    }
    RequestCorrelation.Exchange exchange = correlation.start(ServletRequestView.of(request));
    request.setAttribute(REQUEST_ID_ATTRIBUTE, exchange.requestId());
    response.setHeader(correlation.requestIdHeader(), exchange.requestId());
    Throwable failure = null;
    RequestCorrelation.CorrelationScope scope = exchange.makeCurrent();
    try {
      chain.doFilter(request, response);
    } catch (IOException | ServletException | RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      scope.close();
      if (failure == null && request.isAsyncStarted()) {
        request.getAsyncContext().addListener(new EndListener(exchange));
      } else {
        exchange.end(failure != null ? 500 : response.getStatus(), failure);
      }
    }
  }

  private static final class EndListener implements AsyncListener {
    private final RequestCorrelation.Exchange exchange;

    EndListener(RequestCorrelation.Exchange exchange) {
      this.exchange = exchange;
    }

    @Override
    public void onComplete(AsyncEvent event) {
      ServletResponse r = event.getSuppliedResponse();
      exchange.end(r instanceof HttpServletResponse h ? h.getStatus() : 0, null);
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      exchange.end(503, event.getThrowable());
    }

    @Override
    public void onError(AsyncEvent event) {
      exchange.end(500, event.getThrowable());
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      event.getAsyncContext().addListener(this);
    }
  }
}
