package dev.scaleblocks.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import org.junit.jupiter.api.Test;

class TelemetryTest {

  @Test
  void noneNeverTouchesTheGlobalRegistry() {
    Counter counter = Telemetry.none().meterRegistry().counter("scaleblocks.test.none");
    counter.increment();
    assertThat(counter.count()).as("a no-op meter").isZero();
    assertThat(Metrics.globalRegistry.find("scaleblocks.test.none").counter()).isNull();
    assertThat(((CompositeMeterRegistry) Telemetry.none().meterRegistry()).getRegistries()).isEmpty();
    assertThat(Telemetry.none().tracer()).isNotNull();
  }

  @Test
  void ofUsesTheGivenRegistryAndTracer() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Telemetry telemetry = Telemetry.of(registry, OpenTelemetry.noop());
    telemetry.meterRegistry().counter("scaleblocks.test.c").increment();
    assertThat(registry.get("scaleblocks.test.c").counter().count()).isEqualTo(1);
    assertThat(telemetry.tracer().spanBuilder("x").startSpan().getSpanContext().isValid()).isFalse();
  }

  @Test
  void rejectsNulls() {
    assertThatThrownBy(() -> Telemetry.of(null)).hasMessage("registry must not be null");
    assertThatThrownBy(() -> Telemetry.of(new SimpleMeterRegistry(), (OpenTelemetry) null))
        .hasMessage("openTelemetry must not be null");
  }

  @Test
  void systemTickerMoves() {
    long a = Ticker.system().read();
    long b = Ticker.system().read();
    assertThat(b).isGreaterThanOrEqualTo(a);
  }
}
