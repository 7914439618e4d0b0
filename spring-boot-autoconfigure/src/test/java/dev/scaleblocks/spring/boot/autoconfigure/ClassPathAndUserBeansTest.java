package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.http.RequestCorrelation;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.pooling.ReadWriteDataSource;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.spring.boot.autoconfigure.cache.TieredCacheAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.cache.TieredCacheManager;
import dev.scaleblocks.spring.boot.autoconfigure.correlation.CorrelationAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.pooling.PoolingAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitReactiveAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitServletAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitWebFilter;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimiters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;

/**
 * Each auto-configuration backs off when what it is conditional on is missing from the class path
 * (a block, a Redis client, Actuator, WebFlux), and the application's own beans win. Every case
 * is run with and without the class, so that a test cannot pass for a reason other than the one
 * it names. Jedis is a dependency of the cache and rate-limit modules: without it only the shared
 * configuration and the request-id filter remain, which is what is tested.
 */
class ClassPathAndUserBeansTest {

  private static final String[] POLICY_AND_ROUTE = {
    "scaleblocks.ratelimit.policies.api.limits[0].quota=5",
    "scaleblocks.ratelimit.routes[0].path=/api/**",
    "scaleblocks.ratelimit.routes[0].policies=api",
  };

  private static final AutoConfigurations EVERYTHING = AutoConfigurations.of(
      ScaleblocksAutoConfiguration.class, RateLimitAutoConfiguration.class,
      RateLimitServletAutoConfiguration.class, RateLimitReactiveAutoConfiguration.class,
      TieredCacheAutoConfiguration.class, CacheAutoConfiguration.class,
      PoolingAutoConfiguration.class, DataSourceAutoConfiguration.class,
      CorrelationAutoConfiguration.class, ScaleblocksHealthAutoConfiguration.class);

  private final WebApplicationContextRunner web = new WebApplicationContextRunner()
      .withConfiguration(EVERYTHING).withUserConfiguration(Caching.class);

  @Test
  void withoutJedisTheSharedConfigurationAndTheRequestIdFilterStillStart() {
    WebApplicationContextRunner core = new WebApplicationContextRunner().withConfiguration(
        AutoConfigurations.of(ScaleblocksAutoConfiguration.class, CorrelationAutoConfiguration.class,
            ScaleblocksHealthAutoConfiguration.class));
    core.run(ctx -> assertThat(ctx).hasSingleBean(RedisClientSource.class));
    core.withClassLoader(new FilteredClassLoader("redis.clients.jedis."))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).doesNotHaveBean(RedisClientSource.class);
          assertThat(ctx).hasSingleBean(Telemetry.class);
          assertThat(ctx).hasSingleBean(ScaleblocksBreakers.class);
          assertThat(ctx).hasBean("scaleblocksCorrelationFilter");
          assertThat(ctx).hasBean("scaleblocksHealthIndicator");
        });
  }

  @Test
  void withoutLettuceSpringDataRedisRunsOnJedisAndNoLettuceClientIsLookedFor() {
    ApplicationContextRunner redis = new ApplicationContextRunner().withConfiguration(
        AutoConfigurations.of(DataRedisAutoConfiguration.class, ScaleblocksAutoConfiguration.class));
    redis.run(ctx -> assertThat(ctx).hasBean("scaleblocksLettuceClients"));
    redis.withClassLoader(new FilteredClassLoader("io.lettuce."))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx.getBean(RedisConnectionFactory.class)).isInstanceOf(JedisConnectionFactory.class);
          assertThat(ctx).doesNotHaveBean("scaleblocksLettuceClients");
          assertThat(ctx.getBean(RedisClientSource.class).lettuce()).isNull();
        });
  }

  @Test
  void withoutActuatorThereIsNoHealthIndicator() {
    web.run(ctx -> assertThat(ctx).hasBean("scaleblocksHealthIndicator"));
    web.withClassLoader(new FilteredClassLoader("org.springframework.boot.health."))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).doesNotHaveBean("scaleblocksHealthIndicator");
          assertThat(ctx).doesNotHaveBean("scaleblocksDataSourceHealthIndicator");
        });
  }

  @Test
  void withoutWebFluxAReactiveContextGetsNoWebFilter() {
    ReactiveWebApplicationContextRunner reactive = new ReactiveWebApplicationContextRunner()
        .withConfiguration(EVERYTHING).withPropertyValues(POLICY_AND_ROUTE);
    reactive.run(ctx -> assertThat(ctx).hasSingleBean(RateLimitWebFilter.class));
    reactive.withClassLoader(new FilteredClassLoader("org.springframework.web.server.",
            "org.springframework.web.reactive."))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).doesNotHaveBean(RateLimitWebFilter.class);
          assertThat(ctx).hasSingleBean(HttpRateLimit.class);
        });
  }

  @Test
  void withoutTheRateLimitModuleNothingIsLimited() {
    web.withPropertyValues(POLICY_AND_ROUTE).run(ctx -> {
      assertThat(ctx).hasSingleBean(RateLimiters.class);
      assertThat(ctx).hasBean("scaleblocksRateLimitFilter");
    });
    web.withPropertyValues(POLICY_AND_ROUTE)
        .withClassLoader(new FilteredClassLoader("dev.scaleblocks.ratelimit."))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).doesNotHaveBean(RateLimiters.class);
          assertThat(ctx).doesNotHaveBean("scaleblocksHttpRateLimit");
          assertThat(ctx).doesNotHaveBean("scaleblocksRateLimitFilter");
          assertThat(ctx).hasBean("scaleblocksCorrelationFilter");
        });
  }

  @Test
  void withoutTheCacheModuleBootsCacheManagerStays() {
    web.run(ctx -> assertThat(ctx.getBean(CacheManager.class)).isInstanceOf(TieredCacheManager.class));
    web.withPropertyValues("scaleblocks.cache.caches.books.l2=false")
        .withClassLoader(new FilteredClassLoader("dev.scaleblocks.cache."))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).doesNotHaveBean(TieredCacheManager.class);
          assertThat(ctx).hasSingleBean(CacheManager.class);
        });
  }

  @Test
  void withoutThePoolingModuleBootsDataSourceStays() {
    WebApplicationContextRunner replicas = web.withPropertyValues(
        "spring.datasource.url=jdbc:h2:mem:cp;DB_CLOSE_DELAY=-1", "spring.datasource.username=sa",
        "scaleblocks.pooling.replicas[0].url=jdbc:h2:mem:cpr;DB_CLOSE_DELAY=-1");
    replicas.run(ctx -> {
      assertThat(ctx.getBean(DataSource.class)).isInstanceOf(ReadWriteDataSource.class);
      assertThat(ctx).hasBean("scaleblocksDataSourceHealthIndicator");
    });
    replicas.withClassLoader(new FilteredClassLoader("dev.scaleblocks.pooling."))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx.getBean(DataSource.class)).isInstanceOf(HikariDataSource.class);
          assertThat(ctx).doesNotHaveBean("scaleblocksDataSourceHealthIndicator");
        });
  }

  @Test
  void theApplicationsHttpRateLimitWinsOverTheConfiguredRoutesAndIsFiltered() {
    HttpRateLimit own = HttpRateLimit.builder()
        .route(RequestMatcher.path("/own/**"), RateLimiter.builder(
            RateLimitPolicy.builder("own").limit(1, Duration.ofSeconds(1)).build()).local().build())
        .build();
    web.withPropertyValues(POLICY_AND_ROUTE).withBean(HttpRateLimit.class, () -> own)
        .run(ctx -> {
          assertThat(ctx).hasSingleBean(HttpRateLimit.class);
          assertThat(ctx.getBean(HttpRateLimit.class)).isSameAs(own);
          assertThat(ctx).hasBean("scaleblocksRateLimitFilter");
        });
  }

  @Test
  void theApplicationsTelemetryWinsAndTheBlocksUseIt() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Telemetry own = Telemetry.of(registry);
    web.withPropertyValues(POLICY_AND_ROUTE).withBean(Telemetry.class, () -> own)
        .run(ctx -> {
          assertThat(ctx).hasSingleBean(Telemetry.class);
          assertThat(ctx.getBean(Telemetry.class)).isSameAs(own);
          ctx.getBean(RateLimiters.class).get("api").tryAcquire("k");
          assertThat(registry.find("scaleblocks.ratelimit.keys").tag("policy", "api").gauge())
              .isNotNull();
        });
  }

  @Test
  void theApplicationsRequestCorrelationWinsAndIsFiltered() {
    RequestCorrelation own = RequestCorrelation.builder().requestIdHeader("X-Trace").build();
    web.withBean(RequestCorrelation.class, () -> own).run(ctx -> {
      assertThat(ctx).hasSingleBean(RequestCorrelation.class);
      assertThat(ctx.getBean(RequestCorrelation.class)).isSameAs(own);
      assertThat(ctx).hasBean("scaleblocksCorrelationFilter");
    });
  }

  @Test
  void correlationCanBeTurnedOff() {
    web.run(ctx -> assertThat(ctx).hasBean("scaleblocksCorrelationFilter"));
    web.withPropertyValues("scaleblocks.correlation.enabled=false").run(ctx -> {
      assertThat(ctx).hasNotFailed();
      assertThat(ctx).doesNotHaveBean(RequestCorrelation.class);
      assertThat(ctx).doesNotHaveBean("scaleblocksCorrelationFilter");
    });
  }

  @Configuration(proxyBeanMethods = false)
  @EnableCaching
  static class Caching {}
}
