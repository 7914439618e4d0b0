package dev.scaleblocks.spring.boot.autoconfigure.ratelimit;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.ratelimit.Limit;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.RateLimiterBuilder;
import dev.scaleblocks.ratelimit.http.ClientIpResolver;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.ratelimit.http.KeyResolver;
import dev.scaleblocks.ratelimit.throttle.Throttle;
import dev.scaleblocks.spring.boot.autoconfigure.RedisClientSource;
import dev.scaleblocks.spring.boot.autoconfigure.ScaleblocksAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ScaleblocksBreakers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import redis.clients.jedis.UnifiedJedis;

/**
 * Rate limiters from {@code scaleblocks.ratelimit.policies.*}, an {@link HttpRateLimit} from
 * {@code scaleblocks.ratelimit.routes}; {@link RateLimitServletAutoConfiguration} registers the
 * servlet filter.
 *
 * <p>The filter's order is {@code scaleblocks.ratelimit.filter-order}, -90 by default: after
 * Spring Security's filter chain (-100), so that {@code key.type=principal} sees the
 * authenticated user and unauthenticated requests are turned away before they spend quota. Set it
 * below -100 to limit before authentication (then only IP or header keys make sense).
 */
@AutoConfiguration(after = ScaleblocksAutoConfiguration.class)
@ConditionalOnClass(RateLimiter.class)
@ConditionalOnProperty(prefix = "scaleblocks.ratelimit", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(RateLimitProperties.class)
public class RateLimitAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  public RateLimiters scaleblocksRateLimiters(
      RateLimitProperties properties,
      ObjectProvider<RateLimiter> userLimiters,
      ObjectProvider<RedisClientSource> redis,
      ObjectProvider<Telemetry> telemetry,
      ObjectProvider<ScaleblocksBreakers> breakers) {
    Map<String, RateLimiter> all = new LinkedHashMap<>();
    userLimiters.orderedStream().forEach(l -> all.put(l.policy().name(), l));
    List<RateLimiter> owned = new ArrayList<>();
    Telemetry tel = telemetry.getIfAvailable(Telemetry::none);
    try {
      for (Map.Entry<String, RateLimitProperties.Policy> e : properties.getPolicies().entrySet()) {
        if (all.containsKey(e.getKey())) {
          continue; // the application's bean wins
        }
        RateLimiter limiter = build(e.getKey(), e.getValue(), redis.getIfAvailable(), tel, breakers.getIfAvailable());
        owned.add(limiter);
        all.put(e.getKey(), limiter);
      }
    } catch (RuntimeException e) {
      owned.forEach(RateLimiter::close);
      throw e;
    }
    return new RateLimiters(all, owned);
  }

  static RateLimiter build(String name, RateLimitProperties.Policy p,
      @org.jspecify.annotations.Nullable RedisClientSource redis, Telemetry telemetry,
      @org.jspecify.annotations.Nullable ScaleblocksBreakers breakers) {
    if (p.getLimits().isEmpty()) {
      throw new IllegalStateException(
          "scaleblocks.ratelimit.policies." + name + ".limits must hold at least one limit");
    }
    RateLimitPolicy.Builder policy = RateLimitPolicy.builder(name).algorithm(p.getAlgorithm());
    for (RateLimitProperties.LimitSpec l : p.getLimits()) {
      policy.limit(Limit.of(l.getQuota(), l.getPeriod()).withBurst(l.getBurst()));
    }
    RateLimiterBuilder b = RateLimiter.builder(policy.build()).telemetry(telemetry);
    if (p.getMaximumKeys() != null) {
      b.maximumKeys(p.getMaximumKeys());
    }
    if (p.isShadow()) {
      b.shadowMode();
    }
    if (p.getStore() == RateLimitProperties.StoreType.LOCAL) {
      return b.local().build();
    }
    redis(b, name, redis);
    Duration timeout = p.getStoreTimeout() != null ? p.getStoreTimeout() : Duration.ofMillis(100);
    if (p.getStoreTimeout() != null) {
      b.storeTimeout(p.getStoreTimeout());
    }
    if (p.getKeyPrefix() != null) {
      b.keyPrefix(p.getKeyPrefix());
    }
    if (p.isCoalesceRedisCalls()) {
      b.coalesceRedisCalls();
    }
    if (p.getFailurePolicy() != null) {
      b.failurePolicy(p.getFailurePolicy());
    }
    if (p.getInstances() != null) {
      b.instances(p.getInstances());
    }
    if (p.getLeasePermits() > 0) {
      if (p.getLeaseHold() != null) {
        b.leasing(p.getLeasePermits(), p.getLeaseHold());
      } else {
        b.leasing(p.getLeasePermits());
      }
    }
    CircuitBreaker breaker = CircuitBreaker.builder("ratelimit-" + name)
        .slowCallDuration(timeout)
        .telemetry(telemetry)
        .build();
    try {
      b.circuitBreaker(breaker);
      RateLimiter limiter = b.build();
      if (breakers != null) {
        breakers.add(breaker);
      }
      return limiter;
    } catch (RuntimeException e) {
      breaker.close();
      throw e;
    }
  }

  private static void redis(RateLimiterBuilder b, String name,
      @org.jspecify.annotations.Nullable RedisClientSource redis) {
    UnifiedJedis jedis = redis == null ? null : redis.jedis();
    if (jedis != null) {
      b.redis(jedis);
      return;
    }
    Object lettuce = redis == null ? null : redis.lettuce();
    if (lettuce != null) {
      LettuceStore.use(b, lettuce);
      return;
    }
    throw new IllegalStateException("rate limit policy " + name + " keeps its counters in Redis, "
        + "but the application has no Redis client: add spring-boot-starter-data-redis (Lettuce) "
        + "or declare a UnifiedJedis bean");
  }

  /** Lettuce types, loaded only when a Lettuce client is in use. */
  private static final class LettuceStore {
    static void use(RateLimiterBuilder b, Object client) {
      if (client instanceof io.lettuce.core.RedisClient c) {
        b.lettuce(c);
      } else if (client instanceof io.lettuce.core.cluster.RedisClusterClient c) {
        b.lettuce(c);
      } else {
        throw new IllegalStateException("unsupported Lettuce client " + client.getClass().getName());
      }
    }
  }

  /** The key resolver {@code scaleblocks.ratelimit.key.*} describes. */
  @Bean
  @ConditionalOnMissingBean
  public KeyResolver scaleblocksRateLimitKeyResolver(RateLimitProperties properties) {
    RateLimitProperties.Key k = properties.getKey();
    KeyResolver ip = ClientIpResolver.builder()
        .trustedProxies(k.getTrustedProxies().toArray(String[]::new))
        .proxyHeader(k.getProxyHeader())
        .ipv6PrefixLength(k.getIpv6PrefixLength())
        .build();
    return switch (k.getType()) {
      case CLIENT_IP -> ip;
      case HEADER -> KeyResolver.header(k.getHeader());
      case API_KEY -> KeyResolver.apiKey(k.getHeader());
      case PRINCIPAL -> KeyResolver.principal().orElse(ip);
    };
  }

  /** The throttles of the routes that wait rather than refuse, when routes are configured. */
  @Bean
  @ConditionalOnMissingBean
  @Conditional(OnRoutesCondition.class)
  public RouteThrottles scaleblocksRouteThrottles(RateLimitProperties properties,
      RateLimiters limiters, ObjectProvider<Telemetry> telemetry) {
    return new RouteThrottles(properties, limiters, telemetry.getIfAvailable(Telemetry::none));
  }

  private static void refunds(HttpRateLimit.Builder b, RateLimitProperties.Refund r) {
    java.util.Set<Integer> statuses = java.util.Set.copyOf(r.getStatuses());
    for (int status : statuses) {
      if (status < 100 || status > 599) {
        throw new IllegalStateException(
            "scaleblocks.ratelimit.refund.statuses must hold HTTP statuses (100 to 599) but held " + status);
      }
    }
    if (r.isServerErrors() || !statuses.isEmpty()) {
      java.util.function.IntPredicate serverErrors = HttpRateLimit.serverErrors();
      boolean withServerErrors = r.isServerErrors();
      b.refundWhen(status -> (withServerErrors && serverErrors.test(status)) || statuses.contains(status));
    }
    if (r.isCancelled()) {
      b.refundCancelled(true);
    }
  }

  /** The HTTP side, when routes are configured. */
  @Bean
  @ConditionalOnMissingBean
  @Conditional(OnRoutesCondition.class)
  public HttpRateLimit scaleblocksHttpRateLimit(RateLimitProperties properties,
      RateLimiters limiters, RouteThrottles throttles, KeyResolver keyResolver,
      ObjectProvider<Telemetry> telemetry) {
    HttpRateLimit.Builder b = HttpRateLimit.builder()
        .keyResolver(keyResolver)
        .headerStyle(properties.getHeaderStyle())
        .rejectionStatus(properties.getRejectionStatus())
        .shadow(properties.isShadow())
        .telemetry(telemetry.getIfAvailable(Telemetry::none));
    refunds(b, properties.getRefund());
    int i = 0;
    for (RateLimitProperties.Route r : properties.getRoutes()) {
      if (r.getPolicies().isEmpty()) {
        throw new IllegalStateException(
            "scaleblocks.ratelimit.routes[" + i + "].policies must name at least one policy");
      }
      Throttle throttle = throttles.of(i);
      if (throttle != null) {
        b.route(r.matcher(), throttle);
      } else {
        b.route(r.matcher(), r.getPolicies().stream().map(limiters::get).toArray(RateLimiter[]::new));
      }
      i++;
    }
    return b.build();
  }
}
