package dev.scaleblocks.examples;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.http.RequestCorrelation;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything both servers share: the metrics registry, the shards, the cache, the limiter and the
 * request correlation. Built once per demo instance; thread-safe.
 */
final class DemoServices implements AutoCloseable {

  private final DemoConfig config;
  private final PrometheusMeterRegistry registry;
  private final Telemetry telemetry;
  private final Shards shards;
  private final ProductStore products;
  private final RequestCorrelation correlation;
  private final JvmGcMetrics gcMetrics;

  DemoServices(DemoConfig config) throws SQLException {
    this.config = config;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("instance", config.instance());
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    this.telemetry = Telemetry.of(registry);
    this.shards = new Shards(config, telemetry);
    Catalog catalog = new Catalog(shards);
    catalog.createAndSeed(config.products());
    this.products = new ProductStore(catalog);
    this.correlation =
        RequestCorrelation.builder().telemetry(telemetry).routeTag(DemoApi::route).build();
  }

  DemoConfig config() {
    return config;
  }

  Telemetry telemetry() {
    return telemetry;
  }

  ProductStore products() {
    return products;
  }

  RequestCorrelation correlation() {
    return correlation;
  }

  String scrape() {
    return registry.scrape();
  }

  Map<String, String> health() {
    Map<String, String> checks = new LinkedHashMap<>(shards.health());
    return checks;
  }

  @Override
  public void close() {
    shards.close();
    gcMetrics.close();
    registry.close();
  }
}
