package dev.scaleblocks.core.http;

import dev.scaleblocks.core.netty.CorrelationHandler;
import dev.scaleblocks.core.servlet.CorrelationFilter;
import io.netty.handler.codec.http.HttpServerCodec;
import jakarta.servlet.DispatcherType;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hostile-input suite ({@link HostileRequests}) against the correlation adapters: the servlet
 * filter in real Jetty, and the Netty handler right behind a strict codec with nothing else to
 * refuse for it. The handler alone must answer every broken request and never pass it on.
 */
class HostileInputIT {

  private static final AtomicInteger jettyRuns = new AtomicInteger();
  private static final AtomicInteger nettyRuns = new AtomicInteger();
  private static TestHttpServers.Running jetty;
  private static TestHttpServers.Running netty;

  @BeforeAll
  static void start() {
    RequestCorrelation correlation = RequestCorrelation.builder().build();
    jetty = TestHttpServers.jetty(c -> {
      c.addFilter(new FilterHolder(new CorrelationFilter(correlation)), "/*", EnumSet.of(DispatcherType.REQUEST));
      c.addServlet(new ServletHolder(CountingApps.servlet(jettyRuns)), "/*");
    });
    netty = TestHttpServers.nettyPipeline(p -> {
      p.addLast(new HttpServerCodec(StrictCodec.config()));
      p.addLast(new CorrelationHandler(correlation));
      p.addLast(CountingApps.netty(nettyRuns));
    });
  }

  @AfterAll
  static void stop() {
    jetty.close();
    netty.close();
  }

  static List<HostileRequests.Case> cases() {
    return HostileRequests.requestCases();
  }

  @ParameterizedTest(name = "jetty: {0}")
  @MethodSource("cases")
  void servletFilter(HostileRequests.Case c) {
    System.out.println("jetty  correlation: " + HostileRequests.check(jetty.port(), c, jettyRuns::get));
  }

  @ParameterizedTest(name = "netty: {0}")
  @MethodSource("cases")
  void nettyHandler(HostileRequests.Case c) {
    System.out.println("netty  correlation: " + HostileRequests.check(netty.port(), c, nettyRuns::get));
  }
}
