package dev.scaleblocks.spring.boot.autoconfigure.ratelimit;

import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;

/**
 * The {@link RateLimitWebFilter} of a WebFlux application, over the {@link HttpRateLimit} bean, at
 * {@code scaleblocks.ratelimit.filter-order} (-90 by default: after Spring Security's {@code
 * WebFilterChainProxy} at -100).
 */
@AutoConfiguration(after = RateLimitAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnClass(name = "org.springframework.web.server.WebFilter")
@ConditionalOnBean(HttpRateLimit.class)
public class RateLimitReactiveAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  public RateLimitWebFilter scaleblocksRateLimitWebFilter(
      HttpRateLimit rateLimit, ObjectProvider<RateLimitProperties> properties) {
    return new RateLimitWebFilter(rateLimit,
        properties.getIfAvailable(RateLimitProperties::new).getFilterOrder());
  }
}
