package dev.scaleblocks.core.servlet;

import static dev.scaleblocks.core.http.TestHttpServers.get;
import static dev.scaleblocks.core.http.TestHttpServers.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.http.RequestCorrelation;
import dev.scaleblocks.core.http.TestHttpServers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class CorrelationFilterIT {

  static {
    dev.scaleblocks.core.http.TestMdc.enable();
  }

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private TestHttpServers.Running server;

  @BeforeEach
  void start() {
    RequestCorrelation correlation =
        RequestCorrelation.builder().telemetry(Telemetry.of(registry)).routeTag(r -> "/echo").build();
    server =
        TestHttpServers.jetty(
            ctx -> {
              ctx.addFilter(new FilterHolder(new CorrelationFilter(correlation)), "/*",
                  EnumSet.of(DispatcherType.REQUEST));
              ctx.addServlet(new ServletHolder(new MdcEchoServlet()), "/echo");
            });
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void generatesAnIdPutsItInTheMdcAndEchoesIt() {
    HttpResponse<String> r = send(get(server.uri("/echo")).build());
    String id = r.headers().firstValue("X-Request-Id").orElseThrow();
    assertThat(id).matches("[0-9a-f]{32}");
    assertThat(r.body()).isEqualTo("mdc=" + id + " attr=" + id);
  }

  @Test
  void keepsAValidIncomingIdAndReplacesAHostileOne() {
    HttpResponse<String> ok = send(get(server.uri("/echo")).header("X-Request-Id", "req-42").build());
    assertThat(ok.headers().firstValue("X-Request-Id")).hasValue("req-42");
    assertThat(ok.body()).isEqualTo("mdc=req-42 attr=req-42");

    String hostile = "x\" level=ERROR msg=\"forged";
    HttpResponse<String> bad = send(get(server.uri("/echo")).header("X-Request-Id", hostile).build());
    String id = bad.headers().firstValue("X-Request-Id").orElseThrow();
    assertThat(id).matches("[0-9a-f]{32}");
    assertThat(bad.body()).isEqualTo("mdc=" + id + " attr=" + id);
  }

  @Test
  void usesTheTraceparentTraceIdAndTimesTheRequest() {
    HttpResponse<String> r =
        send(get(server.uri("/echo"))
            .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .build());
    assertThat(r.headers().firstValue("X-Request-Id")).hasValue("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(
            registry.get(RequestCorrelation.METRIC)
                .tags("method", "GET", "uri", "/echo", "status", "200", "outcome", "SUCCESS")
                .timer()
                .count())
        .isEqualTo(1);
  }

  static final class MdcEchoServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      resp.setContentType("text/plain");
      resp.getWriter()
          .print("mdc=" + MDC.get("requestId") + " attr=" + req.getAttribute(CorrelationFilter.REQUEST_ID_ATTRIBUTE));
    }
  }
}
