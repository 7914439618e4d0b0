package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.pooling.ReadWriteDataSource;
import dev.scaleblocks.spring.boot.autoconfigure.cache.TieredCacheAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.pooling.PoolingAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimiters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import java.sql.Connection;
import java.time.Duration;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Configuration;

/**
 * The meters of every block land on the registry Boot's metrics auto-configuration makes: the
 * cache's, the read/write data source's (its own and HikariCP's, per pool) and the rate
 * limiters'.
 */
class MetersAutoConfigurationTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
          SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
          ScaleblocksAutoConfiguration.class, RateLimitAutoConfiguration.class,
          TieredCacheAutoConfiguration.class, CacheAutoConfiguration.class,
          PoolingAutoConfiguration.class, DataSourceAutoConfiguration.class))
      .withUserConfiguration(Caching.class)
      .withPropertyValues(
          "scaleblocks.cache.caches.books.l2=false",
          "scaleblocks.ratelimit.policies.api.limits[0].quota=5",
          "spring.datasource.url=" + TestServices.postgresPrimaryUrl("postgres"),
          "spring.datasource.username=" + TestServices.postgresUser(),
          "scaleblocks.pooling.replicas[0].url=" + TestServices.postgresReplicaUrl("postgres"),
          "scaleblocks.pooling.health-check-interval=100ms");

  @Test
  void cachePoolAndRateLimitMetersAreOnBootsRegistry() {
    runner.run(ctx -> {
      assertThat(ctx).hasSingleBean(MeterRegistry.class);
      MeterRegistry registry = ctx.getBean(MeterRegistry.class);

      Cache books = ctx.getBean(CacheManager.class).getCache("books");
      assertThat(books).isNotNull();
      books.get("k", () -> "v");
      books.get("k", () -> "v");
      assertThat(counter(registry.find("scaleblocks.cache.gets")
          .tags("cache", "books", "tier", "l1", "result", "hit"))).isEqualTo(1.0);
      assertThat(counter(registry.find("scaleblocks.cache.loads")
          .tags("cache", "books", "result", "success"))).isEqualTo(1.0);

      DataSource ds = ctx.getBean(DataSource.class);
      assertThat(ds).isInstanceOf(ReadWriteDataSource.class);
      try (Connection c = ds.getConnection()) {
        c.setReadOnly(true);
      }
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> gauge(
          registry.find("scaleblocks.pooling.pool.up").tags("role", "replica")) == 1.0);
      assertThat(gauge(registry.find("scaleblocks.pooling.pool.up").tags("role", "primary")))
          .isEqualTo(1.0);
      assertThat(registry.find("scaleblocks.pooling.replica.lag").tags("role", "replica").meter())
          .isNotNull();
      assertThat(registry.find("hikaricp.connections").tags("role", "replica").gauges())
          .as("HikariCP's pool meters, tagged by role").isNotEmpty();

      ctx.getBean(RateLimiters.class).get("api").tryAcquire("k");
      assertThat(registry.find("scaleblocks.ratelimit.keys").tag("policy", "api").gauge())
          .isNotNull();
    });
  }

  private static double counter(Search s) {
    FunctionCounter c = s.functionCounter();
    assertThat(c).isNotNull();
    return c == null ? Double.NaN : c.count();
  }

  private static double gauge(Search s) {
    Gauge g = s.gauge();
    assertThat(g).isNotNull();
    return g == null ? Double.NaN : g.value();
  }

  @Configuration(proxyBeanMethods = false)
  @EnableCaching
  static class Caching {}
}
