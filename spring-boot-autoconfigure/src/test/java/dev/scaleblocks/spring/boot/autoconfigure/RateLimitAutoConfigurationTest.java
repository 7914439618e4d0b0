package dev.scaleblocks.spring.boot.autoconfigure;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.http.HttpRequestView;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.http.ClientIpResolver;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.ratelimit.http.KeyResolver;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimiters;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RouteThrottles;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
  void aThrottledRouteQueuesWhatAPlainRouteRefuses() {
    web.withPropertyValues(
            "scaleblocks.ratelimit.key.type=header", "scaleblocks.ratelimit.key.header=X-Tenant",
            "scaleblocks.ratelimit.policies.queued.limits[0].quota=1",
            "scaleblocks.ratelimit.policies.queued.limits[0].period=200ms",
            "scaleblocks.ratelimit.policies.refused.limits[0].quota=1",
            "scaleblocks.ratelimit.policies.refused.limits[0].period=200ms",
            "scaleblocks.ratelimit.routes[0].path=/queued/**",
            "scaleblocks.ratelimit.routes[0].policies=queued",
            "scaleblocks.ratelimit.routes[0].throttle.queue-capacity=5",
            "scaleblocks.ratelimit.routes[0].throttle.max-delay=5s",
            "scaleblocks.ratelimit.routes[1].path=/refused/**",
            "scaleblocks.ratelimit.routes[1].policies=refused")
        .run(ctx -> {
          assertThat(ctx.getBean(RouteThrottles.class).of(0)).isNotNull();
          assertThat(ctx.getBean(RouteThrottles.class).of(1)).isNull();
          HttpRateLimit http = ctx.getBean(HttpRateLimit.class);
          List<CompletableFuture<HttpRateLimit.Outcome>> queued = new ArrayList<>();
          List<CompletableFuture<HttpRateLimit.Outcome>> refused = new ArrayList<>();
          for (int i = 0; i < 3; i++) {
            queued.add(requireNonNull(http.prepare(tenantRequest("/queued/a"))).decideAsync());
            refused.add(requireNonNull(http.prepare(tenantRequest("/refused/a"))).decideAsync());
          }
          for (int i = 0; i < 3; i++) {
            assertThat(queued.get(i).get(10, TimeUnit.SECONDS).rejected())
                .as("queued request %d waits its turn (1 per 200 ms)", i).isFalse();
          }
          assertThat(refused.get(0).get(10, TimeUnit.SECONDS).rejected()).isFalse();
          assertThat(refused.get(1).get(10, TimeUnit.SECONDS).status()).isEqualTo(429);
          assertThat(refused.get(2).get(10, TimeUnit.SECONDS).status()).isEqualTo(429);
        });
  }

  @Test
  void refundPropertiesGiveBackThePermitsOfFailedRequests() {
    web.withPropertyValues(
            "scaleblocks.ratelimit.key.type=header", "scaleblocks.ratelimit.key.header=X-Tenant",
            "scaleblocks.ratelimit.policies.one.limits[0].quota=1",
            "scaleblocks.ratelimit.policies.one.limits[0].period=1h",
            "scaleblocks.ratelimit.routes[0].policies=one",
            "scaleblocks.ratelimit.refund.server-errors=true",
            "scaleblocks.ratelimit.refund.statuses=408")
        .run(ctx -> {
          HttpRateLimit http = ctx.getBean(HttpRateLimit.class);
          for (int status : new int[] {502, 408, 500}) {
            HttpRateLimit.Outcome o = requireNonNull(http.prepare(tenantRequest("/a"))).decide();
            assertThat(o.rejected()).as("admitted again after a %d", status).isFalse();
            assertThat(o.complete(status).get(10, TimeUnit.SECONDS)).as("refunded after a %d", status).isTrue();
          }
          HttpRateLimit.Outcome ok = requireNonNull(http.prepare(tenantRequest("/a"))).decide();
          assertThat(ok.rejected()).isFalse();
          assertThat(ok.complete(200).get(10, TimeUnit.SECONDS)).as("the work happened: the permit stays spent").isFalse();
          assertThat(requireNonNull(http.prepare(tenantRequest("/a"))).decide().status()).isEqualTo(429);
        });
  }

  @Test
  void aRefundStatusOutsideHttpsRangeFailsAtStartup() {
    web.withPropertyValues(POLICY)
        .withPropertyValues("scaleblocks.ratelimit.routes[0].policies=api",
            "scaleblocks.ratelimit.refund.statuses=5000")
        .run(ctx -> assertThat(ctx).getFailure().rootCause()
            .hasMessage("scaleblocks.ratelimit.refund.statuses must hold HTTP statuses (100 to 599) but held 5000"));
  }

  @Test
  void aThrottleOverTwoPoliciesFailsAtStartup() {
    web.withPropertyValues(POLICY)
        .withPropertyValues(
            "scaleblocks.ratelimit.policies.other.limits[0].quota=1",
            "scaleblocks.ratelimit.routes[0].policies=api,other",
            "scaleblocks.ratelimit.routes[0].throttle.queue-capacity=5")
        .run(ctx -> assertThat(ctx).getFailure().rootCause()
            .hasMessageContaining("scaleblocks.ratelimit.routes[0].throttle needs exactly one policy")
            .hasMessageContaining("[api, other]"));
  }

  private static HttpRequestView tenantRequest(String path) {
    return Requests.of("GET", path, java.util.Map.of("X-Tenant", "t1"), "192.0.2.1");
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
  void aCoalescingRedisPolicyDecidesInRedisWhileThePoolsOnlyConnectionIsHeld() {
    String prefix = "sb-test:" + java.util.UUID.randomUUID() + ":";
    runner.withPropertyValues(
            "scaleblocks.ratelimit.policies.api.limits[0].quota=5",
            "scaleblocks.ratelimit.policies.api.limits[0].period=1h",
            "scaleblocks.ratelimit.policies.api.store=redis",
            "scaleblocks.ratelimit.policies.api.key-prefix=" + prefix,
            "scaleblocks.ratelimit.policies.api.failure-policy=fail_closed",
            "scaleblocks.ratelimit.policies.api.store-timeout=300ms",
            "scaleblocks.ratelimit.policies.api.coalesce-redis-calls=true")
        .withUserConfiguration(JedisPoolOfOne.class)
        .run(ctx -> {
          RateLimiter api = ctx.getBean(RateLimiters.class).get("api");
          RedisClient jedis = ctx.getBean(RedisClient.class);
          // the rest of the application holds the pool's only connection: decisions ride the
          // limiter's own, so Redis still decides (fail-closed would refuse all six otherwise)
          redis.clients.jedis.Connection held = jedis.getPool().getResource();
          try {
            for (int i = 0; i < 5; i++) {
              assertThat(api.tryAcquire("k").allowed()).as("decision %d", i).isTrue();
            }
            assertThat(api.tryAcquire("k").allowed()).isFalse();
          } finally {
            held.close();
          }
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
  static class JedisPoolOfOne {
    @Bean(destroyMethod = "close")
    RedisClient jedis() {
      java.net.InetSocketAddress a = dev.scaleblocks.core.testing.TestServices.redis();
      redis.clients.jedis.ConnectionPoolConfig one = new redis.clients.jedis.ConnectionPoolConfig();
      one.setMaxTotal(1);
      one.setMaxWait(Duration.ofMillis(200));
      return RedisClient.builder().hostAndPort(a.getHostString(), a.getPort()).poolConfig(one).build();
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
