package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.cache.TieredCache;
import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.spring.boot.autoconfigure.cache.TieredCacheAutoConfiguration;
import dev.scaleblocks.spring.boot.autoconfigure.cache.TieredCacheManager;
import dev.scaleblocks.spring.boot.autoconfigure.cache.TieredSpringCache;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.concurrent.ConcurrentMapCacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

class TieredCacheAutoConfigurationTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(ScaleblocksAutoConfiguration.class,
          TieredCacheAutoConfiguration.class, CacheAutoConfiguration.class))
      .withUserConfiguration(Caching.class);

  @Test
  void theCacheManagerIsTieredAndBootsOwnBacksOff() {
    runner.run(ctx -> {
      assertThat(ctx).hasSingleBean(CacheManager.class);
      assertThat(ctx.getBean(CacheManager.class)).isInstanceOf(TieredCacheManager.class);
    });
  }

  @Test
  void configuredCachesExistAtStartupWithTheirTtls() {
    runner.withPropertyValues("scaleblocks.cache.caches.books.l1-ttl=5s",
            "scaleblocks.cache.caches.books.maximum-size=10", "scaleblocks.cache.dynamic=false")
        .run(ctx -> {
          CacheManager m = ctx.getBean(CacheManager.class);
          assertThat(m.getCacheNames()).containsExactly("books");
          assertThat(m.getCache("authors")).isNull();
          assertThat(m.getCache("books")).isInstanceOf(TieredSpringCache.class);
        });
  }

  @Test
  void dynamicCachesAreMadeOnFirstUse() {
    runner.run(ctx -> {
      Cache c = ctx.getBean(CacheManager.class).getCache("authors");
      assertThat(c).isNotNull();
      assertThat(ctx.getBean(CacheManager.class).getCache("authors")).isSameAs(c);
    });
  }

  @Test
  void disabledByPropertyLeavesBootsCacheManager() {
    runner.withPropertyValues("scaleblocks.cache.enabled=false").run(ctx -> {
      assertThat(ctx).doesNotHaveBean(TieredCacheManager.class);
      assertThat(ctx).hasSingleBean(CacheManager.class);
    });
  }

  @Test
  void theApplicationsCacheManagerWins() {
    runner.withUserConfiguration(OwnCacheManager.class).run(ctx -> {
      assertThat(ctx).doesNotHaveBean(TieredCacheManager.class);
      assertThat(ctx.getBean(CacheManager.class)).isInstanceOf(ConcurrentMapCacheManager.class);
    });
  }

  @Test
  void theApplicationsTieredCacheBeanIsServedUnderItsName() {
    runner.withUserConfiguration(OwnTieredCache.class)
        .withPropertyValues("scaleblocks.cache.caches.books.l1-ttl=5s")
        .run(ctx -> {
          Cache c = ctx.getBean(CacheManager.class).getCache("books");
          assertThat(c).isNotNull();
          assertThat(c.getNativeCache()).isSameAs(ctx.getBean(TieredCache.class));
        });
  }

  @Test
  void withTheApplicationsUnifiedJedisACacheNeedsAValueType() {
    runner.withUserConfiguration(OwnJedis.class)
        .withPropertyValues("scaleblocks.cache.caches.books.l1-ttl=5s")
        .run(ctx -> assertThat(ctx).getFailure().rootCause()
            .hasMessageContaining("scaleblocks.cache.caches.books.value-type"));
  }

  @Test
  void withTheApplicationsUnifiedJedisTheCacheHasARedisL2() {
    String prefix = "sb-test:" + UUID.randomUUID() + ":";
    runner.withUserConfiguration(OwnJedis.class)
        .withPropertyValues("scaleblocks.cache.key-prefix=" + prefix,
            "scaleblocks.cache.caches.books.value-type=java.lang.String")
        .run(ctx -> {
          Cache c = ctx.getBean(CacheManager.class).getCache("books");
          assertThat(c).isNotNull();
          c.put("k", "v");
          UnifiedJedis jedis = ctx.getBean(UnifiedJedis.class);
          assertThat(jedis.exists(prefix + "books:k")).isTrue();
          assertThat(ctx.getBean(ScaleblocksBreakers.class).all()).containsKey("cache.books");
          @SuppressWarnings("unchecked")
          TieredCache<String, Object> tiered = (TieredCache<String, Object>) c.getNativeCache();
          c.evict("k");
          // an invalidation leaves a tombstone in Redis: the L2 answers absent
          assertThat(tiered.getIfPresent("k")).isNull();
        });
  }

  @Test
  void aCacheWithL2OffNeedsNoValueType() {
    runner.withUserConfiguration(OwnJedis.class)
        .withPropertyValues("scaleblocks.cache.caches.books.l2=false")
        .run(ctx -> assertThat(ctx).hasNotFailed());
  }

  @Test
  void withOnlyLettuceTheCachesAreL1Only() {
    runner.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class))
        .withPropertyValues("scaleblocks.cache.caches.books.l1-ttl=5s")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx.getBean(RedisClientSource.class).lettuce()).isNotNull();
          assertThat(ctx.getBean(ScaleblocksBreakers.class).all()).isEmpty();
        });
  }

  @Test
  void springCacheOperations() throws Exception {
    runner.run(ctx -> {
      Cache c = ctx.getBean(CacheManager.class).getCache("ops");
      assertThat(c).isNotNull();
      assertThat(c.get("a")).isNull();
      c.put("a", 1);
      assertThat(c.get("a")).isNotNull();
      assertThat(c.get("a").get()).isEqualTo(1);
      assertThat(c.get("a", Integer.class)).isEqualTo(1);
      assertThatThrownBy(() -> c.get("a", String.class)).isInstanceOf(IllegalStateException.class);
      assertThat(c.retrieve("a").get(5, TimeUnit.SECONDS)).isEqualTo(1);
      c.evict("a");
      assertThat(c.get("a")).isNull();
      c.put("b", 2);
      c.put("b", null); // a null value removes the key
      assertThat(c.get("b")).isNull();
      c.put("c", 3);
      c.clear();
      assertThat(c.get("c")).isNull();
      assertThat(c.retrieve("d", () -> java.util.concurrent.CompletableFuture.completedFuture(4))
          .get(5, TimeUnit.SECONDS)).isEqualTo(4);
      assertThat(c.get("d", Integer.class)).isEqualTo(4);
    });
  }

  @Test
  void getWithLoaderIsSingleFlightAndWrapsLoaderFailures() throws Exception {
    runner.run(ctx -> {
      Cache c = ctx.getBean(CacheManager.class).getCache("flight");
      assertThat(c).isNotNull();
      AtomicInteger calls = new AtomicInteger();
      CountDownLatch release = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        java.util.List<Future<String>> results = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
          results.add(pool.submit(() -> c.get("k", () -> {
            calls.incrementAndGet();
            release.await();
            return "v";
          })));
        }
        Thread.sleep(100);
        release.countDown();
        for (Future<String> f : results) {
          assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo("v");
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(calls).hasValue(1);
      assertThatThrownBy(() -> c.get("x", () -> {
        throw new IOException("disk");
      })).isInstanceOf(Cache.ValueRetrievalException.class).hasRootCauseInstanceOf(IOException.class);
      Object none = c.get("n", () -> null);
      assertThat(none).isNull();
    });
  }

  @Configuration(proxyBeanMethods = false)
  @EnableCaching
  static class Caching {}

  @Configuration(proxyBeanMethods = false)
  static class OwnCacheManager {
    @Bean
    CacheManager cacheManager() {
      return new ConcurrentMapCacheManager();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnTieredCache {
    @Bean(destroyMethod = "close")
    TieredCache<String, Object> books() {
      return TieredCache.builder().name("books").l1Ttl(Duration.ofSeconds(1)).<String, Object>build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnJedis {
    @Bean(destroyMethod = "close")
    UnifiedJedis jedis() {
      InetSocketAddress a = TestServices.redis();
      return RedisClient.builder().hostAndPort(a.getHostString(), a.getPort()).build();
    }
  }
}
