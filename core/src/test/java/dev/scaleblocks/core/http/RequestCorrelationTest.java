package dev.scaleblocks.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.FakeTicker;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class RequestCorrelationTest {

  static {
    dev.scaleblocks.core.http.TestMdc.enable();
  }

  private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @Test
  void keepsValidIncomingId() {
    RequestCorrelation c = RequestCorrelation.defaults();
    assertThat(c.resolveId("abc-123_x.y:z", null)).isEqualTo("abc-123_x.y:z");
    assertThat(c.resolveId("  padded  ", null)).isEqualTo("padded");
  }

  @Test
  void replacesHostileOrOversizedIds() {
    RequestCorrelation c = RequestCorrelation.defaults();
    for (String bad : List.of("", "a b", "x\r\nSet-Cookie: evil", "a\"b", "{json}", "é", "x".repeat(129))) {
      String id = c.resolveId(bad, null);
      assertThat(id).isNotEqualTo(bad).matches("[0-9a-f]{32}");
    }
    assertThat(c.resolveId("x".repeat(128), null)).hasSize(128);
  }

  @Test
  void fallsBackToTraceparentTraceId() {
    RequestCorrelation c = RequestCorrelation.defaults();
    assertThat(c.resolveId(null, TRACEPARENT)).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(c.resolveId("mine", TRACEPARENT)).isEqualTo("mine");
    assertThat(RequestCorrelation.builder().useTraceparent(false).build().resolveId(null, TRACEPARENT))
        .isNotEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
  }

  @Test
  void rejectsMalformedTraceparent() {
    assertThat(RequestIds.traceIdOf(TRACEPARENT)).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(RequestIds.traceIdOf("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).isNull();
    assertThat(RequestIds.traceIdOf("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).isNull();
    assertThat(RequestIds.traceIdOf("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")).isNull();
    assertThat(RequestIds.traceIdOf("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")).isNull();
    assertThat(RequestIds.traceIdOf("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"))
        .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(RequestIds.traceIdOf("garbage")).isNull();
    assertThat(RequestIds.traceIdOf(null)).isNull();
  }

  @Test
  void acceptIncomingFalseAlwaysGenerates() {
    RequestCorrelation c =
        RequestCorrelation.builder().acceptIncoming(false).idGenerator(() -> "gen-1").build();
    assertThat(c.resolveId("client", TRACEPARENT)).isEqualTo("gen-1");
    RequestCorrelation bad = RequestCorrelation.builder().idGenerator(() -> "bad id").build();
    assertThat(bad.resolveId(null, null)).matches("[0-9a-f]{32}");
  }

  @Test
  void timesRequestsAndSpansThemUnderTheIncomingTrace() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    SdkTracerProvider provider =
        SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
    FakeTicker ticker = new FakeTicker();
    RequestCorrelation c =
        RequestCorrelation.builder()
            .telemetry(Telemetry.of(registry, provider.get("test")))
            .ticker(ticker)
            .routeTag(r -> "/items/{id}")
            .build();
    RequestCorrelation.Exchange exchange =
        c.start(new FakeRequest("GET", "/items/7", Map.of("traceparent", TRACEPARENT)));
    RequestCorrelation.CorrelationScope scope = exchange.makeCurrent();
    assertThat(MDC.get("requestId")).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    scope.close();
    assertThat(MDC.get("requestId")).isNull();
    ticker.advance(Duration.ofMillis(25));
    exchange.end(404, null);
    exchange.end(500, null); // idempotent

    Timer timer =
        registry.get(RequestCorrelation.METRIC)
            .tags("method", "GET", "uri", "/items/{id}", "status", "404", "outcome", "CLIENT_ERROR",
                "exception", "none")
            .timer();
    assertThat(timer.count()).isEqualTo(1);
    assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(25.0);
    List<SpanData> finished = spans.getFinishedSpanItems();
    assertThat(finished).hasSize(1);
    assertThat(finished.get(0).getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(finished.get(0).getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(finished.get(0).getParentSpanId()).isEqualTo("00f067aa0ba902b7");
  }

  @Test
  void keptTimersRecordEachRequestUnderItsOwnTags() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RequestCorrelation c = RequestCorrelation.builder().telemetry(Telemetry.of(registry))
        .routeTag(r -> r.path().startsWith("/a") ? "/a" : "/b").build();
    for (int i = 0; i < 3; i++) {
      c.start(new FakeRequest("GET", "/a", Map.of())).end(200, null);
    }
    c.start(new FakeRequest("POST", "/a", Map.of())).end(200, null);
    c.start(new FakeRequest("GET", "/b", Map.of())).end(200, null);
    c.start(new FakeRequest("GET", "/a", Map.of())).end(503, null);
    c.start(new FakeRequest("GET", "/a", Map.of())).end(0, null);
    c.start(new FakeRequest("GET", "/a", Map.of())).end(500, new IllegalStateException("boom"));
    c.start(new FakeRequest("GET", "/a", Map.of())).end(500, null);

    assertThat(count(registry, "GET", "/a", "200", "none")).isEqualTo(3);
    assertThat(count(registry, "POST", "/a", "200", "none")).isEqualTo(1);
    assertThat(count(registry, "GET", "/b", "200", "none")).isEqualTo(1);
    assertThat(count(registry, "GET", "/a", "503", "none")).isEqualTo(1);
    assertThat(count(registry, "GET", "/a", "UNKNOWN", "none")).isEqualTo(1);
    assertThat(count(registry, "GET", "/a", "500", "IllegalStateException")).isEqualTo(1);
    assertThat(count(registry, "GET", "/a", "500", "none")).isEqualTo(1);
  }

  private static long count(SimpleMeterRegistry registry, String method, String uri, String status, String exception) {
    return registry.get(RequestCorrelation.METRIC)
        .tags("method", method, "uri", uri, "status", status, "exception", exception).timer().count();
  }

  @Test
  void hostileMethodsDoNotCreateNewTagValues() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RequestCorrelation c = RequestCorrelation.builder().telemetry(Telemetry.of(registry)).build();
    c.start(new FakeRequest("X" + "Y".repeat(50), "/", Map.of())).end(405, null);
    assertThat(registry.get(RequestCorrelation.METRIC).tag("method", "OTHER").timer().count())
        .isEqualTo(1);
  }

  @Test
  void mdcRestoresAnOuterValue() {
    MDC.put("requestId", "outer");
    try {
      RequestCorrelation.Exchange e = RequestCorrelation.defaults().start(new FakeRequest("GET", "/", Map.of()));
      RequestCorrelation.CorrelationScope scope = e.makeCurrent();
      assertThat(MDC.get("requestId")).isEqualTo(e.requestId());
      scope.close();
      assertThat(MDC.get("requestId")).isEqualTo("outer");
    } finally {
      MDC.remove("requestId");
    }
  }

  /** A minimal request view for unit tests. */
  record FakeRequest(String method, String path, Map<String, String> headerMap) implements HttpRequestView {
    @Override
    public @Nullable String header(String name) {
      return headerMap.get(name);
    }

    @Override
    public List<String> headers(String name) {
      String v = headerMap.get(name);
      return v == null ? List.of() : List.of(v);
    }

    @Override
    public @Nullable String remoteAddress() {
      return "127.0.0.1";
    }
  }
}
