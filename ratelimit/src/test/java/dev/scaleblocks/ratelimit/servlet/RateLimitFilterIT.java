package dev.scaleblocks.ratelimit.servlet;

import dev.scaleblocks.core.http.TestHttpServers;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.ratelimit.http.RateLimitAdapterContract;
import dev.scaleblocks.ratelimit.http.RealLimiters;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.junit.jupiter.api.Nested;

/** The adapter contract in Jetty 12 with the real local limiter and the real Redis-backed one. */
class RateLimitFilterIT {

  static TestHttpServers.Running jetty(HttpRateLimit rateLimit) {
    return TestHttpServers.jetty(ctx -> {
      ctx.addFilter(new FilterHolder(new RateLimitFilter(rateLimit)), "/*", EnumSet.of(DispatcherType.REQUEST));
      ctx.addServlet(new ServletHolder(new OkServlet()), "/");
    });
  }

  @Nested
  class LocalStore extends RateLimitAdapterContract {
    @Override
    protected TestHttpServers.Running start(HttpRateLimit rateLimit) {
      return jetty(rateLimit);
    }

    @Override
    protected RealLimiters newLimiters() {
      return RealLimiters.local();
    }
  }

  @Nested
  class RedisStore extends RateLimitAdapterContract {
    @Override
    protected TestHttpServers.Running start(HttpRateLimit rateLimit) {
      return jetty(rateLimit);
    }

    @Override
    protected RealLimiters newLimiters() {
      return RealLimiters.redis();
    }
  }

  static final class OkServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      req.getInputStream().readAllBytes();
      resp.setContentType("text/plain");
      resp.getWriter().print("ok");
    }
  }
}
