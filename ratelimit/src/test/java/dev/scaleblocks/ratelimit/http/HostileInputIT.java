package dev.scaleblocks.ratelimit.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.http.CountingApps;
import dev.scaleblocks.core.http.HostileRequests;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.http.StrictCodec;
import dev.scaleblocks.core.http.TestHttpServers;
import dev.scaleblocks.ratelimit.netty.RateLimitHandler;
import dev.scaleblocks.ratelimit.servlet.RateLimitFilter;
import io.netty.handler.codec.http.HttpServerCodec;
import jakarta.servlet.DispatcherType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hostile-input suite ({@link HostileRequests}) against the rate-limit adapters: the servlet
 * filter in real Jetty, and the Netty handler right behind a strict codec, deciding on Redis (so
 * the asynchronous path holds the broken request while the store answers). A broken request
 * still spends its client's quota.
 */
class HostileInputIT {

  private static final AtomicInteger jettyRuns = new AtomicInteger();
  private static final AtomicInteger nettyRuns = new AtomicInteger();
  private static RealLimiters limiters;
  private static TestHttpServers.Running jetty;
  private static TestHttpServers.Running netty;

  @BeforeAll
  static void start() {
    limiters = RealLimiters.redis();
    HttpRateLimit rateLimit = HttpRateLimit.builder()
        .route(RequestMatcher.path("/**"), limiters.create("hostile", 1_000_000, Duration.ofMinutes(1)))
        .build();
    jetty = TestHttpServers.jetty(c -> {
      c.addFilter(new FilterHolder(new RateLimitFilter(rateLimit)), "/*", EnumSet.of(DispatcherType.REQUEST));
      c.addServlet(new ServletHolder(CountingApps.servlet(jettyRuns)), "/*");
    });
    netty = nettyWith(rateLimit, nettyRuns);
  }

  private static TestHttpServers.Running nettyWith(HttpRateLimit rateLimit, AtomicInteger runs) {
    return TestHttpServers.nettyPipeline(p -> {
      p.addLast(new HttpServerCodec(StrictCodec.config()));
      p.addLast(new RateLimitHandler(rateLimit));
      p.addLast(CountingApps.netty(runs));
    });
  }

  @AfterAll
  static void stop() {
    jetty.close();
    netty.close();
    limiters.close();
  }

  static List<HostileRequests.Case> cases() {
    return HostileRequests.requestCases();
  }

  @ParameterizedTest(name = "jetty: {0}")
  @MethodSource("cases")
  void servletFilter(HostileRequests.Case c) {
    System.out.println("jetty  rate limit:  " + HostileRequests.check(jetty.port(), c, jettyRuns::get));
  }

  @ParameterizedTest(name = "netty: {0}")
  @MethodSource("cases")
  void nettyHandler(HostileRequests.Case c) {
    System.out.println("netty  rate limit:  " + HostileRequests.check(netty.port(), c, nettyRuns::get));
  }

  @Test
  void brokenRequestsSpendTheClientsQuota() {
    AtomicInteger runs = new AtomicInteger();
    HttpRateLimit rateLimit = HttpRateLimit.builder()
        .route(RequestMatcher.path("/**"), limiters.create("broken", 3, Duration.ofMinutes(1)))
        .build();
    TestHttpServers.Running server = nettyWith(rateLimit, runs);
    try {
      byte[] noHost = "GET /x HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 3; i++) {
        HostileRequests.Answer a = HostileRequests.exchange(server.port(), noHost, Duration.ofSeconds(5));
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.headers().get("ratelimit")).as("counted: %s", a).contains("r=" + (2 - i));
        assertThat(a.closed()).isTrue();
      }
      HostileRequests.Answer fourth = HostileRequests.exchange(server.port(), noHost, Duration.ofSeconds(5));
      assertThat(fourth.status()).isEqualTo(429);
      HostileRequests.Answer good = HostileRequests.exchange(server.port(),
          "GET /x HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII), Duration.ofSeconds(5));
      assertThat(good.status()).as("the quota was spent by the broken requests").isEqualTo(429);
      assertThat(runs.get()).isZero();
    } finally {
      server.close();
    }
  }
}
