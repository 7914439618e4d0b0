package dev.scaleblocks.core;

import static dev.scaleblocks.core.internal.Checks.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import org.jspecify.annotations.Nullable;

/**
 * Where a block reports metrics and spans. Handed to every block's builder.
 *
 * <p>By default nothing is recorded: the meter registry is an empty composite (meters are no-ops,
 * never the global registry unless you pass {@code Metrics.globalRegistry} yourself) and the
 * tracer comes from {@link GlobalOpenTelemetry}, which is a no-op unless an SDK or agent registered
 * itself there.
 *
 * <p>Immutable and thread-safe.
 */
public final class Telemetry {

  /** Instrumentation scope name used for every tracer scaleblocks creates. */
  public static final String INSTRUMENTATION_NAME = "dev.scaleblocks";

  private static final Telemetry NONE = new Telemetry(new CompositeMeterRegistry(), null);

  private final MeterRegistry meterRegistry;
  private final @Nullable Tracer tracer;

  private Telemetry(MeterRegistry meterRegistry, @Nullable Tracer tracer) {
    this.meterRegistry = meterRegistry;
    this.tracer = tracer;
  }

  /** Records nothing; spans go to {@link GlobalOpenTelemetry} (a no-op unless one is registered). */
  public static Telemetry none() {
    return NONE;
  }

  /** Metrics to {@code registry}; spans to {@link GlobalOpenTelemetry}. */
  public static Telemetry of(MeterRegistry registry) {
    return new Telemetry(requireNonNull(registry, "registry"), null);
  }

  /** Metrics to {@code registry}; spans to a tracer from {@code openTelemetry}. */
  public static Telemetry of(MeterRegistry registry, OpenTelemetry openTelemetry) {
    requireNonNull(openTelemetry, "openTelemetry");
    return new Telemetry(
        requireNonNull(registry, "registry"), openTelemetry.getTracer(INSTRUMENTATION_NAME));
  }

  /** Metrics to {@code registry}; spans to {@code tracer}. */
  public static Telemetry of(MeterRegistry registry, Tracer tracer) {
    return new Telemetry(requireNonNull(registry, "registry"), requireNonNull(tracer, "tracer"));
  }

  /** The registry meters are bound to. */
  public MeterRegistry meterRegistry() {
    return meterRegistry;
  }

  /** The tracer spans are started from. */
  public Tracer tracer() {
    Tracer t = tracer;
    return t != null ? t : GlobalOpenTelemetry.getTracer(INSTRUMENTATION_NAME);
  }
}
