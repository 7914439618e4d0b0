package dev.scaleblocks.spring.boot.autoconfigure.cache;

import dev.scaleblocks.cache.http.BodyEtag;
import dev.scaleblocks.cache.http.CacheControl;
import dev.scaleblocks.cache.http.CachePolicy;
import dev.scaleblocks.cache.http.HttpCaching;
import dev.scaleblocks.cache.http.ValidatorSource;
import dev.scaleblocks.cache.servlet.ConditionalRequestFilter;
import dev.scaleblocks.cache.servlet.EtagBodyFilter;
import dev.scaleblocks.core.http.RequestMatcher;
import jakarta.servlet.DispatcherType;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * Conditional requests and {@code ETag}s for the controllers of a servlet application, per route
 * ({@code scaleblocks.cache.http.routes}): a {@link ConditionalRequestFilter} adds {@code
 * Cache-Control} / {@code Vary} and, for a route with a {@link ValidatorSource} bean, answers 304 or
 * 412 before the controller runs; right after it, an {@link EtagBodyFilter} tags the routes marked
 * {@code etag=true} with a hash of their body (up to {@code etag-max-bytes}) and answers a matching
 * {@code If-None-Match} with 304. Both at {@code filter-order} (-80 by default: after Spring
 * Security and the rate limit filter, so a 304 still spends quota).
 */
@AutoConfiguration(after = TieredCacheAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({jakarta.servlet.Filter.class, ConditionalRequestFilter.class})
@ConditionalOnProperty(prefix = "scaleblocks.cache.http", name = "enabled", matchIfMissing = true)
@Conditional(OnHttpCachingRoutesCondition.class)
@EnableConfigurationProperties(HttpCachingProperties.class)
public class HttpCachingAutoConfiguration {

  /** The routes as an {@link HttpCaching}. */
  @Bean
  @ConditionalOnMissingBean
  public HttpCaching scaleblocksHttpCaching(HttpCachingProperties properties, BeanFactory beans) {
    HttpCaching.Builder b = HttpCaching.builder();
    int i = 0;
    for (HttpCachingProperties.Route r : properties.getRoutes()) {
      CachePolicy.Builder policy = CachePolicy.builder();
      CacheControl cc = cacheControl(r.getCacheControl(), "scaleblocks.cache.http.routes[" + i + "]");
      if (cc != null) {
        policy.cacheControl(cc);
      }
      if (!r.getVary().isEmpty()) {
        policy.vary(r.getVary().toArray(String[]::new));
      }
      String validators = r.getValidators();
      if (validators != null) {
        policy.validators(beans.getBean(validators, ValidatorSource.class));
      }
      b.route(r.matcher(), policy.build());
      i++;
    }
    return b.build();
  }

  @Bean
  @ConditionalOnMissingBean(name = "scaleblocksConditionalRequestFilter")
  public FilterRegistrationBean<ConditionalRequestFilter> scaleblocksConditionalRequestFilter(
      HttpCaching caching, HttpCachingProperties properties) {
    FilterRegistrationBean<ConditionalRequestFilter> r =
        new FilterRegistrationBean<>(new ConditionalRequestFilter(caching));
    r.setName("scaleblocksConditionalRequestFilter");
    r.setOrder(properties.getFilterOrder());
    r.setDispatcherTypes(DispatcherType.REQUEST);
    return r;
  }

  @Bean
  @ConditionalOnMissingBean(name = "scaleblocksEtagBodyFilter")
  public FilterRegistrationBean<RouteScopedFilter> scaleblocksEtagBodyFilter(
      HttpCachingProperties properties) {
    List<RequestMatcher> tagged = new ArrayList<>();
    for (HttpCachingProperties.Route r : properties.getRoutes()) {
      if (r.isEtag()) {
        tagged.add(r.matcher());
      }
    }
    long max = properties.getEtagMaxBytes().toBytes();
    if (max < 1 || max > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "scaleblocks.cache.http.etag-max-bytes must be between 1 B and 2 GB, was " + max + " B");
    }
    BodyEtag settings = BodyEtag.maxBytes((int) max);
    if (properties.isWeakEtags()) {
      settings = settings.weak();
    }
    FilterRegistrationBean<RouteScopedFilter> r =
        new FilterRegistrationBean<>(new RouteScopedFilter(tagged, new EtagBodyFilter(settings)));
    r.setName("scaleblocksEtagBodyFilter");
    r.setOrder(properties.getFilterOrder() + 1);
    r.setDispatcherTypes(DispatcherType.REQUEST);
    r.setEnabled(!tagged.isEmpty());
    return r;
  }

  static @Nullable CacheControl cacheControl(HttpCachingProperties.CacheControlSpec s, String where) {
    CacheControl.Builder b = CacheControl.builder();
    boolean any = false;
    if (s.getVisibility() == HttpCachingProperties.Visibility.PUBLIC) {
      b.publicCache();
      any = true;
    } else if (s.getVisibility() == HttpCachingProperties.Visibility.PRIVATE) {
      b.privateCache();
      any = true;
    }
    if (s.getMaxAge() != null) {
      b.maxAge(s.getMaxAge());
      any = true;
    }
    if (s.getSharedMaxAge() != null) {
      b.sMaxAge(s.getSharedMaxAge());
      any = true;
    }
    if (s.getStaleWhileRevalidate() != null) {
      b.staleWhileRevalidate(s.getStaleWhileRevalidate());
      any = true;
    }
    if (s.getStaleIfError() != null) {
      b.staleIfError(s.getStaleIfError());
      any = true;
    }
    if (s.isNoCache()) {
      b.noCache();
      any = true;
    }
    if (s.isNoStore()) {
      b.noStore();
      any = true;
    }
    if (s.isMustRevalidate()) {
      b.mustRevalidate();
      any = true;
    }
    if (s.isImmutable()) {
      b.immutable();
      any = true;
    }
    if (!any) {
      return null;
    }
    try {
      return b.build();
    } catch (IllegalStateException e) {
      throw new IllegalStateException(where + ".cache-control: " + e.getMessage(), e);
    }
  }
}
