package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitReactiveAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitWebFilter;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.test.web.reactive.server.WebTestClient;

class RateLimitWebFilterTest {

  private static final String[] PROPS = {
    "scaleblocks.ratelimit.policies.api.limits[0].quota=2",
    "scaleblocks.ratelimit.policies.api.limits[0].period=1h",
    "scaleblocks.ratelimit.routes[0].path=/api/**",
    "scaleblocks.ratelimit.routes[0].policies=api",
    "scaleblocks.ratelimit.key.type=header",
    "scaleblocks.ratelimit.key.header=X-Tenant",
  };

  private static final AutoConfigurations CONFIGS = AutoConfigurations.of(
      ScaleblocksAutoConfiguration.class, RateLimitAutoConfiguration.class,
      RateLimitReactiveAutoConfiguration.class);

  @Test
  void aReactiveApplicationGetsTheWebFilterAServletOneDoesNot() {
    new ReactiveWebApplicationContextRunner().withConfiguration(CONFIGS).withPropertyValues(PROPS)
        .run(ctx -> assertThat(ctx).hasSingleBean(RateLimitWebFilter.class));
    new WebApplicationContextRunner().withConfiguration(CONFIGS).withPropertyValues(PROPS)
        .run(ctx -> assertThat(ctx).doesNotHaveBean(RateLimitWebFilter.class));
  }

  @Test
  void limitsWithHeadersAndAProblemBody() {
    new ReactiveWebApplicationContextRunner().withConfiguration(CONFIGS).withPropertyValues(PROPS)
        .run(ctx -> {
          WebTestClient client = WebTestClient
              .bindToWebHandler(exchange -> exchange.getResponse().setComplete())
              .webFilter(ctx.getBean(RateLimitWebFilter.class))
              .build();
          client.get().uri("/api/a").header("X-Tenant", "t1").exchange()
              .expectStatus().isOk().expectHeader().exists("RateLimit");
          client.get().uri("/api/a").header("X-Tenant", "t1").exchange().expectStatus().isOk();
          client.get().uri("/api/a").header("X-Tenant", "t1").exchange()
              .expectStatus().isEqualTo(429)
              .expectHeader().exists("Retry-After")
              .expectHeader().contentType("application/problem+json");
          client.get().uri("/api/a").header("X-Tenant", "t2").exchange().expectStatus().isOk();
          client.get().uri("/other").header("X-Tenant", "t1").exchange().expectStatus().isOk();
        });
  }
}
