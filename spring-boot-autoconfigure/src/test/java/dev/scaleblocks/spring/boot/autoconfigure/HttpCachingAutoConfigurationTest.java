package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.cache.http.CachePolicy;
import dev.scaleblocks.cache.http.EntityTag;
import dev.scaleblocks.cache.http.HttpCaching;
import dev.scaleblocks.cache.http.ValidatorSource;
import dev.scaleblocks.cache.http.Validators;
import dev.scaleblocks.core.http.HttpRequestView;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.spring.boot.autoconfigure.cache.HttpCachingAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.cache.TieredCacheAutoConfiguration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class HttpCachingAutoConfigurationTest {

  private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(ScaleblocksAutoConfiguration.class,
          TieredCacheAutoConfiguration.class, HttpCachingAutoConfiguration.class));

  @Test
  void withoutRoutesNothingIsRegistered() {
    runner.run(ctx -> {
      assertThat(ctx).hasNotFailed();
      assertThat(ctx).doesNotHaveBean(HttpCaching.class);
      assertThat(ctx).doesNotHaveBean("scaleblocksConditionalRequestFilter");
    });
  }

  @Test
  void routesGiveTheCachingHeadersAndTheFiltersInOrder() {
    runner.withPropertyValues(
            "scaleblocks.cache.http.routes[0].path=/books/**",
            "scaleblocks.cache.http.routes[0].methods=GET",
            "scaleblocks.cache.http.routes[0].etag=true",
            "scaleblocks.cache.http.routes[0].cache-control.visibility=public",
            "scaleblocks.cache.http.routes[0].cache-control.max-age=5m",
            "scaleblocks.cache.http.routes[0].cache-control.stale-while-revalidate=1m",
            "scaleblocks.cache.http.routes[0].vary=Accept,Accept-Encoding")
        .run(ctx -> {
          HttpCaching caching = ctx.getBean(HttpCaching.class);
          HttpCaching.Plan plan = caching.plan(request("GET", "/books/1", null));
          assertThat(plan).isNotNull();
          assertThat(plan.headers()).contains(
              java.util.Map.entry("Cache-Control", "public, max-age=300, stale-while-revalidate=60"),
              java.util.Map.entry("Vary", "Accept, Accept-Encoding"));
          assertThat(caching.plan(request("POST", "/books/1", null))).isNull();
          assertThat(caching.plan(request("GET", "/authors/1", null))).isNull();
          FilterRegistrationBean<?> conditional =
              ctx.getBean("scaleblocksConditionalRequestFilter", FilterRegistrationBean.class);
          FilterRegistrationBean<?> etag =
              ctx.getBean("scaleblocksEtagBodyFilter", FilterRegistrationBean.class);
          assertThat(conditional.getOrder()).isEqualTo(-80);
          assertThat(etag.getOrder()).isEqualTo(-79);
          assertThat(etag.isEnabled()).isTrue();
        });
  }

  @Test
  void aRouteNamesItsValidatorSourceBean() {
    runner.withUserConfiguration(Validated.class)
        .withPropertyValues("scaleblocks.cache.http.routes[0].path=/books/*",
            "scaleblocks.cache.http.routes[0].validators=bookValidators")
        .run(ctx -> {
          HttpCaching caching = ctx.getBean(HttpCaching.class);
          HttpCaching.Plan plan = caching.plan(request("GET", "/books/1", "\"v1\""));
          assertThat(plan).isNotNull();
          assertThat(plan.result()).isEqualTo(dev.scaleblocks.cache.http.Conditionals.Result.NOT_MODIFIED);
          FilterRegistrationBean<?> etag =
              ctx.getBean("scaleblocksEtagBodyFilter", FilterRegistrationBean.class);
          assertThat(etag.isEnabled()).as("no route asks for body ETags").isFalse();
        });
  }

  @Test
  void contradictoryDirectivesFailNamingTheRoute() {
    runner.withPropertyValues("scaleblocks.cache.http.routes[0].path=/a",
            "scaleblocks.cache.http.routes[1].path=/b",
            "scaleblocks.cache.http.routes[1].cache-control.no-store=true",
            "scaleblocks.cache.http.routes[1].cache-control.max-age=1m")
        .run(ctx -> assertThat(ctx).getFailure()
            .hasStackTraceContaining("scaleblocks.cache.http.routes[1].cache-control: no-store"));
  }

  @Test
  void aZeroEtagBufferIsRefusedWithItsValue() {
    runner.withPropertyValues("scaleblocks.cache.http.routes[0].path=/a",
            "scaleblocks.cache.http.routes[0].etag=true",
            "scaleblocks.cache.http.etag-max-bytes=0B")
        .run(ctx -> assertThat(ctx).getFailure().rootCause()
            .hasMessageContaining("scaleblocks.cache.http.etag-max-bytes").hasMessageContaining("0 B"));
  }

  @Test
  void theApplicationsHttpCachingWinsAndDisabledMeansNone() {
    runner.withUserConfiguration(OwnCaching.class)
        .withPropertyValues("scaleblocks.cache.http.routes[0].path=/a")
        .run(ctx -> assertThat(ctx.getBean(HttpCaching.class)).isSameAs(ctx.getBean("mine")));
    runner.withPropertyValues("scaleblocks.cache.http.routes[0].path=/a",
            "scaleblocks.cache.http.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(HttpCaching.class));
  }

  @Test
  void notAWebApplicationNoFilters() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ScaleblocksAutoConfiguration.class,
            HttpCachingAutoConfiguration.class))
        .withPropertyValues("scaleblocks.cache.http.routes[0].path=/a")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(HttpCaching.class));
  }

  private static HttpRequestView request(String method, String path, @Nullable String ifNoneMatch) {
    return Requests.of(method, path,
        ifNoneMatch == null ? java.util.Map.of() : java.util.Map.of("If-None-Match", ifNoneMatch), null);
  }


  @Configuration(proxyBeanMethods = false)
  static class Validated {
    @Bean
    ValidatorSource bookValidators() {
      return request -> Validators.of(EntityTag.strong("v1"), null);
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnCaching {
    @Bean
    HttpCaching mine() {
      return HttpCaching.builder()
          .route(RequestMatcher.path("/x"), CachePolicy.builder().vary("Accept").build())
          .build();
    }
  }
}
