package dev.scaleblocks.spring.boot.autoconfigure;

import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.spring.boot.autoconfigure.cache.TieredCacheAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.pooling.PoolingAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitAutoConfiguration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Health contributors: {@code scaleblocks} (the state of every circuit breaker the blocks use)
 * and {@code scaleblocksDataSource} (each pool of a {@code ReadWriteDataSource} as routing sees it).
 *
 * <p>An open breaker leaves the status UP: the blocks keep serving through it (L1 and loaders,
 * the rate limiter's failure policy), and a liveness probe that restarts instances while Redis is
 * away would only make things worse. The details say which breakers are open. The data source is
 * DOWN when its primary is not serving.
 */
@AutoConfiguration(after = {ScaleblocksAutoConfiguration.class, RateLimitAutoConfiguration.class,
    TieredCacheAutoConfiguration.class, PoolingAutoConfiguration.class})
@ConditionalOnClass(HealthIndicator.class)
public class ScaleblocksHealthAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(name = "scaleblocksHealthIndicator")
  @ConditionalOnBean(ScaleblocksBreakers.class)
  @ConditionalOnEnabledHealthIndicator("scaleblocks")
  public HealthIndicator scaleblocksHealthIndicator(ScaleblocksBreakers breakers) {
    return () -> {
      Map<String, Object> states = new LinkedHashMap<>();
      int open = 0;
      for (Map.Entry<String, CircuitBreaker> e : breakers.all().entrySet()) {
        CircuitBreaker.State s = e.getValue().state();
        states.put(e.getKey(), s.name());
        if (s == CircuitBreaker.State.OPEN) {
          open++;
        }
      }
      return Health.up().withDetail("breakers", states).withDetail("open", open).build();
    };
  }

  /** Replica health, with the pooling module present. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "dev.scaleblocks.pooling.ReadWriteDataSource")
  static class Pooling {

    @Bean
    @ConditionalOnMissingBean(name = "scaleblocksDataSourceHealthIndicator")
    @ConditionalOnBean(dev.scaleblocks.pooling.ReadWriteDataSource.class)
    @ConditionalOnEnabledHealthIndicator("scaleblocksDataSource")
    HealthIndicator scaleblocksDataSourceHealthIndicator(
        dev.scaleblocks.pooling.ReadWriteDataSource dataSource) {
      return () -> {
        dev.scaleblocks.pooling.HealthSnapshot s = dataSource.health();
        Map<String, Object> pools = new LinkedHashMap<>();
        for (dev.scaleblocks.pooling.HealthSnapshot.PoolHealth p : s.pools()) {
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("role", p.role());
          d.put("status", p.status().name());
          d.put("active", p.active());
          d.put("idle", p.idle());
          d.put("waiting", p.waiting());
          if (p.lag() != null) {
            d.put("lagMillis", p.lag().toMillis());
          }
          if (p.lastError() != null) {
            d.put("lastError", p.lastError());
          }
          pools.put(p.pool(), d);
        }
        Health.Builder b = s.ready() ? Health.up() : Health.down();
        return b.withDetail("name", s.name())
            .withDetail("state", s.state().name())
            .withDetail("replicasServing", s.replicasServing())
            .withDetail("pools", pools)
            .build();
      };
    }
  }
}
