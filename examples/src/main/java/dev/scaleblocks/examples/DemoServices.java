package dev.scaleblocks.examples;

import dev.scaleblocks.cache.http.CacheControl;
import dev.scaleblocks.cache.http.CachePolicy;
import dev.scaleblocks.cache.http.HttpCaching;
import dev.scaleblocks.cache.http.ValidatorSource;
import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.http.RequestCorrelation;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.RateLimiterBuilder;
import dev.scaleblocks.ratelimit.http.HeaderStyle;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.ratelimit.http.KeyResolver;
import java.net.URI;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/**
 * Everything both servers share: the metrics registry, the shards, the cache, the limiter and the
 * request correlation. Built once per demo instance; thread-safe.
 */
final class DemoServices implements AutoCloseable {

  private final DemoConfig config;
  private final PrometheusMeterRegistry registry;
  private final Telemetry telemetry;
  private final Shards shards;
  private final Catalog catalog;
  private final ProductStore products;
  private final RequestCorrelation correlation;
  private final @Nullable RedisClient redis;
  private final RateLimiter limiter;
  private final HttpRateLimit rateLimit;
  private final HttpCaching caching;
  private final JvmGcMetrics gcMetrics;

  DemoServices(DemoConfig config) throws SQLException {
    this.config = config;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("instance", config.instance());
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    this.telemetry = Telemetry.of(registry);
    this.redis = config.redisUrl() == null ? null : redis(URI.create(config.redisUrl()));
    this.shards = new Shards(config, telemetry);
    this.catalog = new Catalog(shards);
    catalog.createAndSeed(config.products());
    this.products = new ProductStore(catalog, config, telemetry, redis);
    this.correlation =
        RequestCorrelation.builder().telemetry(telemetry).routeTag(DemoApi::route).build();

    // one quota per client IP over /products/**, shared by both servers of this instance and,
    // with Redis, by every instance on that Redis
    RateLimitPolicy policy =
        RateLimitPolicy.builder("per-ip")
            .limit(config.limit(), Duration.ofSeconds(config.limitWindowSeconds()))
            .build();
    RateLimiterBuilder limiterBuilder = RateLimiter.builder(policy).telemetry(telemetry);
    this.limiter =
        (redis == null ? limiterBuilder.local() : limiterBuilder.redis(redis).keyPrefix(config.namespace() + ":rl:per-ip:"))
            .build();
    this.rateLimit =
        HttpRateLimit.builder()
            .route(RequestMatcher.path("/products/**"), limiter)
            .keyResolver(KeyResolver.clientIp())
            .headerStyle(HeaderStyle.IETF_AND_LEGACY)
            .telemetry(telemetry)
            .build();

    // conditional requests answered from the cache entry's version before the application runs:
    // If-None-Match → 304 without rendering, a stale If-Match on a price change → 412
    this.caching =
        HttpCaching.builder()
            .route(
                RequestMatcher.path("/products/**"),
                CachePolicy.builder()
                    .cacheControl(CacheControl.builder().noCache().build())
                    .validators(
                        ValidatorSource.fromCache(products.cache(), request -> DemoApi.productId(request.path())))
                    .build())
            .build();
  }

  /**
   * A client with short timeouts (300 ms), so a sick Redis turns into failures the blocks' breakers
   * count and their failure policies decide, rather than requests hanging for Jedis's 2 s default.
   */
  private static RedisClient redis(URI uri) {
    DefaultJedisClientConfig.Builder client =
        DefaultJedisClientConfig.builder().connectionTimeoutMillis(300).socketTimeoutMillis(300);
    String userInfo = uri.getUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      if (colon > 0) {
        client.user(userInfo.substring(0, colon));
      }
      client.password(colon >= 0 ? userInfo.substring(colon + 1) : userInfo);
    }
    return RedisClient.builder()
        .hostAndPort(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 6379)
        .clientConfig(client.build())
        .build();
  }

  DemoConfig config() {
    return config;
  }

  Telemetry telemetry() {
    return telemetry;
  }

  ProductStore products() {
    return products;
  }

  RequestCorrelation correlation() {
    return correlation;
  }

  HttpRateLimit rateLimit() {
    return rateLimit;
  }

  HttpCaching caching() {
    return caching;
  }

  Catalog catalog() {
    return catalog;
  }

  String scrape() {
    return registry.scrape();
  }

  Map<String, String> health() {
    Map<String, String> checks = new LinkedHashMap<>(shards.health());
    if (redis != null) {
      try {
        checks.put("redis", "PONG".equals(redis.ping()) ? "UP" : "DOWN");
      } catch (RuntimeException e) {
        // the blocks keep serving without Redis (L1, local decisions); report it, stay ready
        checks.put("redis", "UP (degraded: " + e.getClass().getSimpleName() + ")");
      }
    }
    return checks;
  }

  @Override
  public void close() {
    limiter.close();
    products.close();
    shards.close();
    if (redis != null) {
      redis.close();
    }
    gcMetrics.close();
    registry.close();
  }
}
