package dev.scaleblocks.ratelimit.servlet;

import static dev.scaleblocks.core.http.TestHttpServers.get;
import static dev.scaleblocks.core.http.TestHttpServers.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.http.TestHttpServers;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.ratelimit.http.RateLimitAdapterContract;
import dev.scaleblocks.ratelimit.http.RealLimiters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.EnumSet;
import org.awaitility.Awaitility;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The adapter contract in Jetty 12 with the real local limiter and the real Redis-backed one. */
class RateLimitFilterIT {

  static TestHttpServers.Running jetty(HttpRateLimit rateLimit) {
    return TestHttpServers.jetty(ctx -> {
      ctx.addFilter(new FilterHolder(new RateLimitFilter(rateLimit)), "/*", EnumSet.of(DispatcherType.REQUEST));
      ctx.addServlet(new ServletHolder(new OkServlet()), "/");
    });
  }

  /**
   * An async request is settled when it completes, with the status it completed with: a 503
   * answered from another thread gives its permit back, an async 200 spends it.
   */
  @Test
  void anAsyncRequestIsRefundedByTheStatusItCompletesWith() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (RateLimiter limiter = RateLimiter.builder(RateLimitPolicy.builder("async")
            .limit(1, Duration.ofMinutes(1)).build())
            .local().telemetry(Telemetry.of(registry)).build();
        TestHttpServers.Running s = TestHttpServers.jetty(ctx -> {
          FilterHolder filter = new FilterHolder(new RateLimitFilter(HttpRateLimit.builder()
              .route(RequestMatcher.path("/**"), limiter)
              .refundWhen(HttpRateLimit.serverErrors()).build()));
          filter.setAsyncSupported(true);
          ctx.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));
          ServletHolder app = new ServletHolder(new AsyncServlet());
          app.setAsyncSupported(true);
          ctx.addServlet(app, "/");
        })) {
      for (int i = 0; i < 3; i++) {
        assertThat(send(get(s.uri("/unavailable")).build()).statusCode()).isEqualTo(503);
        int refunds = i + 1;
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> registry
            .get("scaleblocks.ratelimit.refunds").tag("result", "returned").counter().count()
            == refunds);
      }
      assertThat(send(get(s.uri("/ok")).build()).statusCode()).isEqualTo(200);
      assertThat(send(get(s.uri("/ok")).build()).statusCode()).as("a 200 spends it")
          .isEqualTo(429);
    }
  }

  /** Answers from another thread: 503 on {@code /unavailable}, else 200 "ok". */
  static final class AsyncServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) {
      AsyncContext async = req.startAsync();
      async.start(() -> {
        try {
          if (req.getRequestURI().equals("/unavailable")) {
            resp.setStatus(503);
          }
          resp.getWriter().print("ok");
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        } finally {
          async.complete();
        }
      });
    }
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
      if (req.getRequestURI().startsWith("/fail/")) {
        resp.setStatus(502); // a gateway whose upstream failed
      }
      resp.setContentType("text/plain");
      resp.getWriter().print("ok");
    }
  }
}
