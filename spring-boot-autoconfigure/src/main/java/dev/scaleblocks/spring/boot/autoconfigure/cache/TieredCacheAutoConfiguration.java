package dev.scaleblocks.spring.boot.autoconfigure.cache;

import dev.scaleblocks.cache.TieredCache;
import dev.scaleblocks.cache.TieredCacheBuilder;
import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.breaker.CircuitBreaker;
import dev.scaleblocks.core.codec.Codec;
import dev.scaleblocks.spring.boot.autoconfigure.RedisClientSource;
import dev.scaleblocks.spring.boot.autoconfigure.ScaleblocksAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.ScaleblocksBreakers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cache.CacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import redis.clients.jedis.UnifiedJedis;

/**
 * A {@link TieredCacheManager} as the application's {@link CacheManager} (before Boot's own cache
 * auto-configuration, which then backs off), so {@code @Cacheable} gets L1 + L2 + cross-instance
 * invalidation. The L2 is the application's own Redis client: a {@code UnifiedJedis} bean, else the
 * Lettuce client of Spring Data Redis.
 */
@AutoConfiguration(
    after = ScaleblocksAutoConfiguration.class,
    beforeName = "org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration")
@ConditionalOnClass({TieredCache.class, CacheManager.class})
@ConditionalOnProperty(prefix = "scaleblocks.cache", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(TieredCacheProperties.class)
public class TieredCacheAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(CacheManager.class)
  public TieredCacheManager cacheManager(TieredCacheProperties properties,
      ObjectProvider<TieredCache<?, ?>> userCaches,
      ObjectProvider<RedisClientSource> redis,
      ObjectProvider<CacheValueCodecs> codecs,
      ObjectProvider<Telemetry> telemetry,
      ObjectProvider<ScaleblocksBreakers> breakers) {
    Telemetry tel = telemetry.getIfAvailable(Telemetry::none);
    RedisClientSource source = redis.getIfAvailable();
    CacheValueCodecs codec = codecs.getIfAvailable();
    ScaleblocksBreakers registry = breakers.getIfAvailable();
    Map<String, TieredCache<String, Object>> fixed = new LinkedHashMap<>();
    userCaches.orderedStream().forEach(c -> fixed.put(c.name(), userCache(c)));
    List<TieredCache<String, Object>> owned = new ArrayList<>();
    Function<String, TieredCache<String, Object>> factory = name -> build(name,
        properties.getCaches().getOrDefault(name, new TieredCacheProperties.Spec())
            .orElse(properties.getDefaults()),
        properties.getKeyPrefix(), source, codec, tel, registry);
    try {
      for (String name : properties.getCaches().keySet()) {
        if (!fixed.containsKey(name)) {
          TieredCache<String, Object> c = factory.apply(name);
          owned.add(c);
          fixed.put(name, c);
        }
      }
    } catch (RuntimeException e) {
      owned.forEach(TieredCache::close);
      throw e;
    }
    return new TieredCacheManager(fixed, owned, properties.isDynamic() ? factory : null);
  }

  @SuppressWarnings("unchecked")
  private static TieredCache<String, Object> userCache(TieredCache<?, ?> c) {
    // Spring's cache abstraction hands keys as strings (see TieredSpringCache): a TieredCache bean
    // meant for @Cacheable must take String keys
    return (TieredCache<String, Object>) c;
  }

  static TieredCache<String, Object> build(String name, TieredCacheProperties.Spec s,
      String keyPrefix, @Nullable RedisClientSource redis, @Nullable CacheValueCodecs codecs,
      Telemetry telemetry, @Nullable ScaleblocksBreakers breakers) {
    TieredCacheBuilder<Object, Object> b = TieredCache.builder().name(name).telemetry(telemetry);
    if (s.getL1Ttl() != null) {
      b.l1Ttl(s.getL1Ttl());
    }
    if (s.getL2Ttl() != null) {
      b.l2Ttl(s.getL2Ttl());
    }
    if (s.getMaximumSize() != null) {
      b.maximumSize(s.getMaximumSize());
    }
    if (s.getTtlJitter() != null) {
      b.ttlJitter(s.getTtlJitter());
    }
    if (s.getNegativeTtl() != null) {
      b.negativeTtl(s.getNegativeTtl());
    }
    if (s.getRefreshAhead() != null) {
      b.refreshAhead(s.getRefreshAhead());
    }
    if (s.getStaleIfError() != null) {
      b.staleIfError(s.getStaleIfError());
    }
    if (s.getClusterLease() != null) {
      b.clusterLease(s.getClusterLease());
    }
    if (s.getL2Timeout() != null) {
      b.l2Timeout(s.getL2Timeout());
    }
    boolean wantL2 = s.getL2() == null || s.getL2();
    if (!wantL2 || redis == null) {
      return b.<String, Object>build();
    }
    return l2(name, s, keyPrefix, redis, codecs, telemetry, breakers, b);
  }

  /**
   * The one place where the application's Redis client becomes a cache's L2: its {@code
   * UnifiedJedis} bean if it has one, else the Lettuce client of Spring Data Redis' {@code
   * LettuceConnectionFactory} (standalone or Cluster), used as it is; never a client of its own.
   */
  private static TieredCache<String, Object> l2(String name, TieredCacheProperties.Spec s,
      String keyPrefix, RedisClientSource redis, @Nullable CacheValueCodecs codecs,
      Telemetry telemetry, @Nullable ScaleblocksBreakers breakers,
      TieredCacheBuilder<Object, Object> b) {
    UnifiedJedis jedis = redis.jedis();
    Object lettuce = jedis == null ? redis.lettuce() : null;
    if (jedis == null && lettuce == null) {
      return b.<String, Object>build();
    }
    Codec<Object> codec = codecs == null ? null : codecs.codec(name, s.getValueType());
    if (codec == null) {
      throw new IllegalStateException("cache " + name + " keeps values in Redis: set "
          + "scaleblocks.cache.caches." + name + ".value-type (stored as JSON) or declare a "
          + "CacheValueCodecs bean, or set scaleblocks.cache.caches." + name + ".l2=false");
    }
    CircuitBreaker breaker = CircuitBreaker.builder("cache." + name).telemetry(telemetry).build();
    try {
      b.keyCodec(Codec.utf8())
          .valueCodec(codec)
          .keyPrefix(keyPrefix + name + ":")
          .circuitBreaker(breaker);
      if (jedis != null) {
        b.redis(jedis);
        if (Boolean.TRUE.equals(s.getCoalesceRedisCalls())) {
          b.coalesceRedisCalls();
        }
      } else if (lettuce != null) {
        LettuceL2.use(b, lettuce);
      }
      TieredCache<String, Object> cache = b.<String, Object>build();
      if (breakers != null) {
        breakers.add(breaker);
      }
      return cache;
    } catch (RuntimeException e) {
      breaker.close();
      throw e;
    }
  }

  /** Lettuce types, loaded only when a Lettuce client is in use. */
  private static final class LettuceL2 {
    static void use(TieredCacheBuilder<Object, Object> b, Object client) {
      if (client instanceof io.lettuce.core.RedisClient c) {
        b.lettuce(c);
      } else if (client instanceof io.lettuce.core.cluster.RedisClusterClient c) {
        b.lettuce(c);
      } else {
        throw new IllegalStateException("unsupported Lettuce client " + client.getClass().getName());
      }
    }
  }

  /** Values as JSON of each cache's {@code value-type}, with Jackson 3 on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "tools.jackson.databind.json.JsonMapper")
  static class Json {

    @Bean
    @ConditionalOnMissingBean
    CacheValueCodecs scaleblocksCacheValueCodecs(
        ObjectProvider<tools.jackson.databind.json.JsonMapper> mapper) {
      return new JacksonValueCodecs(
          mapper.getIfAvailable(() -> tools.jackson.databind.json.JsonMapper.builder().build()));
    }
  }
}
