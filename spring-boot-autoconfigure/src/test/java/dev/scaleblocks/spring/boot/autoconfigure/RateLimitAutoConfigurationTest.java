package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.http.ClientIpResolver;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.ratelimit.http.KeyResolver;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimiters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

class RateLimitAutoConfigurationTest {

  private static final String[] POLICY = {
    "scaleblocks.ratelimit.policies.api.limits[0].quota=5",
    "scaleblocks.ratelimit.policies.api.limits[0].period=1s",
    "scaleblocks.ratelimit.policies.api.limits[1].quota=100",
    "scaleblocks.ratelimit.policies.api.limits[1].period=1h",
  };

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(
          ScaleblocksAutoConfiguration.class, RateLimitAutoConfiguration.class,
          dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitServletAutoConfiguration.class));

  private final WebApplicationContextRunner web = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(
          ScaleblocksAutoConfiguration.class, RateLimitAutoConfiguration.class,
          dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitServletAutoConfiguration.class));

  @Test
  void policiesBecomeLocalLimitersWithTheirLimits() {
    runner.withPropertyValues(POLICY).run(ctx -> {
      RateLimiter api = ctx.getBean(RateLimiters.class).get("api");
      assertThat(api.policy().limits()).hasSize(2);
      assertThat(api.policy().limits().get(0).quota()).isEqualTo(5);
      assertThat(api.policy().limits().get(1).period()).isEqualTo(Duration.ofHours(1));
      for (int i = 0; i < 5; i++) {
        assertThat(api.tryAcquire("k").allowed()).isTrue();
      }
      assertThat(api.tryAcquire("k").allowed()).isFalse();
    });
  }

  @Test
  void withoutRoutesThereIsNoHttpRateLimitNorFilter() {
    web.withPropertyValues(POLICY).run(ctx -> {
      assertThat(ctx).hasSingleBean(RateLimiters.class);
      assertThat(ctx).doesNotHaveBean(HttpRateLimit.class);
      assertThat(ctx).doesNotHaveBean("scaleblocksRateLimitFilter");
    });
  }

  @Test
  void routesRegisterTheFilterAfterSpringSecurity() {
    web.withPropertyValues(POLICY)
        .withPropertyValues("scaleblocks.ratelimit.routes[0].path=/api/**",
            "scaleblocks.ratelimit.routes[0].methods=GET,POST",
            "scaleblocks.ratelimit.routes[0].policies=api")
        .run(ctx -> {
          assertThat(ctx).hasSingleBean(HttpRateLimit.class);
          FilterRegistrationBean<?> filter =
              ctx.getBean("scaleblocksRateLimitFilter", FilterRegistrationBean.class);
          assertThat(filter.getOrder()).isEqualTo(-90).isGreaterThan(-100);
        });
  }

  @Test
  void aRouteNamingAnUnknownPolicyFailsAtStartup() {
    web.withPropertyValues(POLICY)
        .withPropertyValues("scaleblocks.ratelimit.routes[0].policies=nope")
        .run(ctx -> assertThat(ctx).getFailure().rootCause()
            .hasMessageContaining("no rate limit policy named nope"));
  }

  @Test
  void notInAServletApplicationThereIsNoFilter() {
    runner.withPropertyValues(POLICY)
        .withPropertyValues("scaleblocks.ratelimit.routes[0].policies=api")
        .run(ctx -> {
          assertThat(ctx).hasSingleBean(HttpRateLimit.class);
          assertThat(ctx).doesNotHaveBean("scaleblocksRateLimitFilter");
        });
  }

  @Test
  void disabledByProperty() {
    web.withPropertyValues(POLICY)
        .withPropertyValues("scaleblocks.ratelimit.enabled=false",
            "scaleblocks.ratelimit.routes[0].policies=api")
        .run(ctx -> {
          assertThat(ctx).doesNotHaveBean(RateLimiters.class);
          assertThat(ctx).doesNotHaveBean(HttpRateLimit.class);
        });
  }

  @Test
  void theApplicationsRateLimiterBeanWinsOverTheConfiguredPolicy() {
    runner.withPropertyValues(POLICY).withUserConfiguration(OwnLimiter.class).run(ctx -> {
      RateLimiter api = ctx.getBean(RateLimiters.class).get("api");
      assertThat(api).isSameAs(ctx.getBean("ownLimiter"));
      assertThat(api.policy().limits().get(0).quota()).isEqualTo(1);
    });
  }

  @Test
  void theApplicationsKeyResolverWins() {
    runner.withUserConfiguration(OwnKeyResolver.class).run(ctx ->
        assertThat(ctx.getBean(KeyResolver.class)).isSameAs(OwnKeyResolver.RESOLVER));
  }

  @Test
  void keyTypeSelectsTheResolver() {
    runner.run(ctx -> assertThat(ctx.getBean(KeyResolver.class)).isInstanceOf(ClientIpResolver.class));
    runner.withPropertyValues("scaleblocks.ratelimit.key.type=principal").run(ctx ->
        assertThat(ctx.getBean(KeyResolver.class)).isNotInstanceOf(ClientIpResolver.class));
  }

  @Test
  void aRedisPolicyWithoutAnyRedisClientFailsAtStartupSayingWhatToAdd() {
    runner.withPropertyValues(POLICY)
        .withPropertyValues("scaleblocks.ratelimit.policies.api.store=redis")
        .run(ctx -> assertThat(ctx).getFailure().rootCause()
            .hasMessageContaining("no Redis client")
            .hasMessageContaining("UnifiedJedis"));
  }

  @Test
  void aRedisPolicyUsesTheApplicationsUnifiedJedis() {
    runner.withPropertyValues(POLICY)
        .withPropertyValues("scaleblocks.ratelimit.policies.api.store=redis")
        .withUserConfiguration(OwnJedis.class)
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx.getBean(RedisClientSource.class).jedis()).isSameAs(ctx.getBean(UnifiedJedis.class));
          assertThat(ctx.getBean(ScaleblocksBreakers.class).all()).containsKey("ratelimit-api");
        });
  }

  @Test
  void aRedisPolicyReusesTheLettuceClientOfSpringDataRedis() {
    runner.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class))
        .withPropertyValues(POLICY)
        .withPropertyValues("scaleblocks.ratelimit.policies.api.store=redis")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          RedisClientSource source = ctx.getBean(RedisClientSource.class);
          assertThat(source.jedis()).isNull();
          assertThat(source.lettuce()).isSameAs(ctx.getBean(
              org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory.class)
              .getNativeClient());
          assertThat(source.lettuce()).isInstanceOf(io.lettuce.core.RedisClient.class);
        });
  }

  @Test
  void metersGoToTheApplicationsMeterRegistry() {
    runner.withPropertyValues(POLICY).withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(ctx -> {
          ctx.getBean(RateLimiters.class).get("api").tryAcquire("k");
          assertThat(ctx.getBean(MeterRegistry.class).find("scaleblocks.ratelimit.keys")
              .tag("policy", "api").gauge()).isNotNull();
        });
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnLimiter {
    @Bean
    RateLimiter ownLimiter() {
      return RateLimiter.builder(RateLimitPolicy.builder("api").limit(1, Duration.ofSeconds(1)).build())
          .local().build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnKeyResolver {
    static final KeyResolver RESOLVER = request -> "everyone";

    @Bean
    KeyResolver ownKeyResolver() {
      return RESOLVER;
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnJedis {
    @Bean(destroyMethod = "close")
    UnifiedJedis jedis() {
      java.net.InetSocketAddress a = dev.scaleblocks.core.testing.TestServices.redis();
      return RedisClient.builder().hostAndPort(a.getHostString(), a.getPort()).build();
    }
  }
}
