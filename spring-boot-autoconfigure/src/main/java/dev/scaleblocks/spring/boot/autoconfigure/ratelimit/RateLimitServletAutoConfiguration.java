package dev.scaleblocks.spring.boot.autoconfigure.ratelimit;

import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.ratelimit.servlet.RateLimitFilter;
import jakarta.servlet.DispatcherType;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@link RateLimitFilter} of a servlet application, over the {@link HttpRateLimit} bean (the
 * one {@code scaleblocks.ratelimit.routes} configures, or the application's own), at {@code
 * scaleblocks.ratelimit.filter-order}: -90 by default, after Spring Security's chain (-100), so
 * principal keys see the authenticated user. Decides on the request thread.
 */
@AutoConfiguration(after = RateLimitAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({jakarta.servlet.Filter.class, RateLimitFilter.class})
@ConditionalOnBean(HttpRateLimit.class)
public class RateLimitServletAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(name = "scaleblocksRateLimitFilter")
  public FilterRegistrationBean<RateLimitFilter> scaleblocksRateLimitFilter(
      HttpRateLimit rateLimit, org.springframework.beans.factory.ObjectProvider<RateLimitProperties> properties) {
    RateLimitProperties p = properties.getIfAvailable(RateLimitProperties::new);
    FilterRegistrationBean<RateLimitFilter> r = new FilterRegistrationBean<>(new RateLimitFilter(rateLimit));
    r.setName("scaleblocksRateLimitFilter");
    r.setOrder(p.getFilterOrder());
    r.setDispatcherTypes(DispatcherType.REQUEST);
    return r;
  }
}
