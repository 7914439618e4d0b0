package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.http.RequestCorrelation;
import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.spring.boot.autoconfigure.correlation.CorrelationAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.pooling.PoolingAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitAutoConfiguration;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

class HealthAndCorrelationAutoConfigurationTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(ScaleblocksAutoConfiguration.class,
          RateLimitAutoConfiguration.class, PoolingAutoConfiguration.class,
          DataSourceAutoConfiguration.class, ScaleblocksHealthAutoConfiguration.class));

  @Test
  void breakerHealthListsEveryBreakerAndStaysUp() {
    InetSocketAddress a = TestServices.redis();
    runner.withBean(UnifiedJedis.class,
            () -> RedisClient.builder().hostAndPort(a.getHostString(), a.getPort()).build())
        .withPropertyValues("scaleblocks.ratelimit.policies.api.limits[0].quota=5",
            "scaleblocks.ratelimit.policies.api.store=redis")
        .run(ctx -> {
          Health h = ctx.getBean("scaleblocksHealthIndicator", HealthIndicator.class).health();
          assertThat(h).isNotNull();
          assertThat(h.getStatus()).isEqualTo(Status.UP);
          assertThat(h.getDetails().get("breakers")).isEqualTo(Map.of("ratelimit-api", "CLOSED"));
        });
  }

  @Test
  void healthIndicatorsCanBeTurnedOff() {
    runner.withPropertyValues("management.health.scaleblocks.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean("scaleblocksHealthIndicator"));
  }

  @Test
  void dataSourceHealthOnlyWithAReadWriteDataSource() {
    runner.withPropertyValues("spring.datasource.url=jdbc:h2:mem:h;DB_CLOSE_DELAY=-1")
        .run(ctx -> assertThat(ctx).doesNotHaveBean("scaleblocksDataSourceHealthIndicator"));
    runner.withPropertyValues("spring.datasource.url=jdbc:h2:mem:h;DB_CLOSE_DELAY=-1",
            "spring.datasource.username=sa",
            "scaleblocks.pooling.replicas[0].url=jdbc:h2:mem:r;DB_CLOSE_DELAY=-1")
        .run(ctx -> {
          Health h = ctx.getBean("scaleblocksDataSourceHealthIndicator", HealthIndicator.class).health();
          assertThat(h).isNotNull();
          assertThat(h.getDetails()).containsKeys("pools", "replicasServing");
        });
  }

  @Test
  void correlationFilterInServletApplicationsOnly() {
    new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ScaleblocksAutoConfiguration.class,
            CorrelationAutoConfiguration.class))
        .withPropertyValues("scaleblocks.correlation.header=X-Correlation-Id")
        .run(ctx -> {
          assertThat(ctx.getBean(RequestCorrelation.class).requestIdHeader()).isEqualTo("X-Correlation-Id");
          assertThat(ctx).hasBean("scaleblocksCorrelationFilter");
        });
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ScaleblocksAutoConfiguration.class,
            CorrelationAutoConfiguration.class))
        .run(ctx -> assertThat(ctx).doesNotHaveBean(RequestCorrelation.class));
  }
}
