package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.http.RequestCorrelation;
import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.spring.boot.autoconfigure.correlation.CorrelationAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.pooling.PoolingAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitAutoConfiguration;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimiters;
import java.io.IOException;
import java.net.InetAddress;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.test.simple.SimpleSpan;
import io.micrometer.tracing.test.simple.SimpleTracer;
import jakarta.servlet.Filter;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.MDC;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import java.net.ServerSocket;
import java.time.Duration;
import org.awaitility.Awaitility;
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
  void anOpenRedisBreakerLeavesTheApplicationUpAndNamesTheBreaker() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    runner.withBean(UnifiedJedis.class,
            () -> RedisClient.builder().hostAndPort("127.0.0.1", closedPort).build())
        .withPropertyValues("scaleblocks.ratelimit.policies.api.limits[0].quota=5",
            "scaleblocks.ratelimit.policies.api.store=redis",
            "scaleblocks.ratelimit.policies.api.failure-policy=fail-open")
        .run(ctx -> {
          HealthIndicator indicator = ctx.getBean("scaleblocksHealthIndicator", HealthIndicator.class);
          RateLimiter api = ctx.getBean(RateLimiters.class).get("api");
          // Redis refuses every connection: the local share decides until the breaker opens
          for (int i = 0; i < 20; i++) {
            api.tryAcquire("k");
          }
          assertThat(ctx.getBean(ScaleblocksBreakers.class).all().get("ratelimit-api").state())
              .isEqualTo(CircuitBreaker.State.OPEN);
          for (int i = 0; i < 10; i++) {
            var d = api.tryAcquire("k");
            assertThat(d.allowed()).as("open breaker, fail open, call %s: %s", i, d).isTrue();
          }
          Health h = indicator.health();
          assertThat(h).isNotNull();
          assertThat(h.getStatus()).isEqualTo(Status.UP);
          assertThat(h.getDetails().get("breakers")).isEqualTo(Map.of("ratelimit-api", "OPEN"));
          assertThat(h.getDetails().get("open")).isEqualTo(1);
        });
  }

  @Test
  void aReplicasLagIsReportedWithItsPool() {
    runner.withPropertyValues(
            "spring.datasource.url=" + TestServices.postgresPrimaryUrl("postgres"),
            "spring.datasource.username=" + TestServices.postgresUser(),
            "scaleblocks.pooling.replicas[0].url=" + TestServices.postgresReplicaUrl("postgres"),
            "scaleblocks.pooling.health-check-interval=100ms")
        .run(ctx -> {
          HealthIndicator indicator =
              ctx.getBean("scaleblocksDataSourceHealthIndicator", HealthIndicator.class);
          Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> replica(indicator).containsKey("lagMillis"));
          Health h = indicator.health();
          assertThat(h).isNotNull();
          assertThat(h.getStatus()).isEqualTo(Status.UP);
          assertThat(h.getDetails().get("replicasServing")).isEqualTo(1);
          Map<?, ?> replica = replica(indicator);
          assertThat(replica.get("status")).isEqualTo("UP");
          assertThat((Long) replica.get("lagMillis")).isNotNegative();
        });
  }

  /** The details of the replica's pool in the data source health. */
  private static Map<?, ?> replica(HealthIndicator indicator) {
    Health h = indicator.health();
    assertThat(h).isNotNull();
    Map<?, ?> pools = (Map<?, ?>) h.getDetails().get("pools");
    return pools.values().stream().map(p -> (Map<?, ?>) p)
        .filter(p -> "replica".equals(p.get("role"))).findFirst().orElseThrow();
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
  void aRequestWithoutAnIdTakesTheCurrentTraceId() {
    SimpleTracer tracer = new SimpleTracer();
    new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ScaleblocksAutoConfiguration.class,
            CorrelationAutoConfiguration.class))
        .withBean(Tracer.class, () -> tracer)
        .run(ctx -> {
          Filter filter = ctx.getBean("scaleblocksCorrelationFilter", FilterRegistrationBean.class)
              .getFilter();
          SimpleSpan span = tracer.nextSpan().start();
          String traceId = span.context().traceId();
          assertThat(traceId).isNotBlank();
          List<String> inMdc = new ArrayList<>();
          MockHttpServletResponse traced = new MockHttpServletResponse();
          Tracer.SpanInScope scope = tracer.withSpan(span);
          try {
            filter.doFilter(new MockHttpServletRequest("GET", "/a"), traced,
                (req, res) -> inMdc.add(String.valueOf(MDC.get("requestId"))));
          } finally {
            scope.close();
            span.end();
          }
          assertThat(traced.getHeader("X-Request-Id")).isEqualTo(traceId);
          assertThat(inMdc).containsExactly(traceId);

          // outside a trace an id is generated; an incoming valid id is kept inside one
          MockHttpServletResponse untraced = new MockHttpServletResponse();
          filter.doFilter(new MockHttpServletRequest("GET", "/a"), untraced, (req, res) -> {});
          assertThat(untraced.getHeader("X-Request-Id")).isNotBlank().isNotEqualTo(traceId);
          SimpleSpan second = tracer.nextSpan().start();
          MockHttpServletRequest withId = new MockHttpServletRequest("GET", "/a");
          withId.addHeader("X-Request-Id", "client-chosen-42");
          MockHttpServletResponse kept = new MockHttpServletResponse();
          Tracer.SpanInScope secondScope = tracer.withSpan(second);
          try {
            filter.doFilter(withId, kept, (req, res) -> {});
          } finally {
            secondScope.close();
            second.end();
          }
          assertThat(kept.getHeader("X-Request-Id")).isEqualTo("client-chosen-42");
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
