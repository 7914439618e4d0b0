package dev.scaleblocks.spring.boot.autoconfigure;

import dev.scaleblocks.core.Telemetry;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import redis.clients.jedis.UnifiedJedis;

/**
 * What every block shares: the {@link Telemetry} bound to Boot's {@code MeterRegistry} (and to the
 * {@code OpenTelemetry} bean when there is one), the registry of circuit breakers for the health
 * endpoint, and the application's Redis client.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration"
    })
public class ScaleblocksAutoConfiguration {

  /**
   * Meters to the application's single {@code MeterRegistry} (none: nothing recorded); spans to
   * its {@code OpenTelemetry} bean, else to {@code GlobalOpenTelemetry}.
   */
  @Bean
  @ConditionalOnMissingBean
  public Telemetry scaleblocksTelemetry(
      ObjectProvider<MeterRegistry> registry, ObjectProvider<OpenTelemetry> openTelemetry) {
    MeterRegistry r = registry.getIfUnique();
    if (r == null) {
      return Telemetry.none();
    }
    OpenTelemetry otel = openTelemetry.getIfUnique();
    return otel != null ? Telemetry.of(r, otel) : Telemetry.of(r);
  }

  @Bean
  @ConditionalOnMissingBean
  public ScaleblocksBreakers scaleblocksBreakers() {
    return new ScaleblocksBreakers();
  }

  /** The application's Redis client, with Jedis on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(UnifiedJedis.class)
  static class WithJedis {

    @Bean
    @ConditionalOnMissingBean
    RedisClientSource scaleblocksRedisClientSource(ObjectProvider<UnifiedJedis> jedis,
        ObjectProvider<JedisClients> springDataJedis, ObjectProvider<LettuceClients> lettuce) {
      return new RedisClientSource(() -> {
        UnifiedJedis own = jedis.getIfUnique();
        if (own != null) {
          return own;
        }
        JedisClients clients = springDataJedis.getIfUnique();
        return clients == null ? null : clients.nativeClient();
      }, () -> lettuceClient(lettuce));
    }
  }

  /**
   * The {@code JedisCluster} inside Spring Data Redis' {@code JedisConnectionFactory} in Cluster
   * mode (a {@code UnifiedJedis}). In standalone and Sentinel mode that factory holds a pool of
   * plain {@code Jedis} connections, which the blocks cannot use: nothing is taken from it then.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {
        "org.springframework.data.redis.connection.jedis.JedisConnectionFactory",
        "redis.clients.jedis.UnifiedJedis"
      })
  static class WithSpringDataJedis {

    @Bean
    JedisClients scaleblocksJedisClients(
        ObjectProvider<org.springframework.data.redis.connection.jedis.JedisConnectionFactory> factory) {
      return () -> {
        var f = factory.getIfUnique();
        if (f == null || !f.isRedisClusterAware()) {
          return null;
        }
        // the connection is a view: closing it leaves the factory's JedisCluster open
        try (var c = f.getClusterConnection()) {
          return c.getNativeConnection() instanceof UnifiedJedis cluster ? cluster : null;
        }
      };
    }
  }

  /** Reaches the {@code UnifiedJedis} of Spring Data Redis' Jedis factory, if it has one. */
  @FunctionalInterface
  interface JedisClients {
    @Nullable UnifiedJedis nativeClient();
  }

  /** The Lettuce client of Spring Data Redis' {@code LettuceConnectionFactory}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {
        "org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory",
        "io.lettuce.core.RedisClient"
      })
  static class WithLettuce {

    @Bean
    LettuceClients scaleblocksLettuceClients(
        ObjectProvider<org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory> factory) {
      return () -> {
        var f = factory.getIfUnique();
        return f == null ? null : f.getNativeClient();
      };
    }
  }

  private static @Nullable Object lettuceClient(ObjectProvider<LettuceClients> lettuce) {
    LettuceClients clients = lettuce.getIfUnique();
    return clients == null ? null : clients.nativeClient();
  }

  /** Reaches the Lettuce client without naming Lettuce's types where they may be absent. */
  @FunctionalInterface
  interface LettuceClients {
    @Nullable Object nativeClient();
  }
}
