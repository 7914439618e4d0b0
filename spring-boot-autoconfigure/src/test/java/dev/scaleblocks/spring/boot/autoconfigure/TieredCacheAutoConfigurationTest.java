package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

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
    runner.withPropertyValues("scaleblocks.cache.caches.books.l1-ttl=200ms",
            "scaleblocks.cache.caches.books.maximum-size=10",
            "scaleblocks.cache.caches.shelves.maximum-size=10",
            "scaleblocks.cache.defaults.l1-ttl=1h", "scaleblocks.cache.dynamic=false")
        .run(ctx -> {
          CacheManager m = ctx.getBean(CacheManager.class);
          assertThat(m.getCacheNames()).containsExactly("books", "shelves");
          assertThat(m.getCache("authors")).isNull();
          Cache books = m.getCache("books");
          Cache shelves = m.getCache("shelves");
          assertThat(books).isInstanceOf(TieredSpringCache.class);
          assertThat(shelves).isInstanceOf(TieredSpringCache.class);
          books.put("k", "v");
          shelves.put("k", "v");
          // no Redis here: each cache is its L1, which forgets after its own TTL (no ticker can be
          // handed to a cache the starter builds, so real time passes)
          await().atMost(Duration.ofSeconds(5)).until(() -> books.get("k") == null);
          assertThat(shelves.get("k")).as("1h from the defaults").isNotNull();
        });
  }

  @Test
  void eachCachesL2TtlIsTheTtlOfItsRedisKeys() {
    String prefix = "sb-test:" + UUID.randomUUID() + ":";
    runner.withUserConfiguration(OwnJedis.class)
        .withPropertyValues("scaleblocks.cache.key-prefix=" + prefix,
            "scaleblocks.cache.defaults.value-type=java.lang.String",
            "scaleblocks.cache.defaults.ttl-jitter=0",
            "scaleblocks.cache.caches.books.l2-ttl=30s",
            "scaleblocks.cache.caches.shelves.l2-ttl=2h")
        .run(ctx -> {
          CacheManager m = ctx.getBean(CacheManager.class);
          for (String name : new String[] {"books", "shelves", "authors"}) {
            Cache c = m.getCache(name);
            assertThat(c).as(name).isNotNull();
            c.put("k", "v");
          }
          UnifiedJedis jedis = ctx.getBean(UnifiedJedis.class);
          assertThat(jedis.pttl(prefix + "books:k")).isBetween(25_000L, 30_000L);
          assertThat(jedis.pttl(prefix + "shelves:k"))
              .isBetween(Duration.ofHours(2).minusSeconds(5).toMillis(), Duration.ofHours(2).toMillis());
          assertThat(jedis.pttl(prefix + "authors:k")).as("the builder's 1h")
              .isBetween(Duration.ofHours(1).minusSeconds(5).toMillis(), Duration.ofHours(1).toMillis());
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
  void aCoalescingCacheWritesItsL2WhileThePoolsOnlyConnectionIsHeld() {
    String prefix = "sb-test:" + UUID.randomUUID() + ":";
    runner.withUserConfiguration(JedisPoolOfOne.class)
        .withPropertyValues("scaleblocks.cache.key-prefix=" + prefix,
            "scaleblocks.cache.caches.books.value-type=java.lang.String",
            "scaleblocks.cache.caches.books.l2-timeout=300ms",
            "scaleblocks.cache.caches.books.coalesce-redis-calls=true")
        .run(ctx -> {
          Cache c = ctx.getBean(CacheManager.class).getCache("books");
          assertThat(c).isNotNull();
          RedisClient jedis = ctx.getBean(RedisClient.class);
          InetSocketAddress a = TestServices.redis();
          // the rest of the application holds the pool's only connection: the SET rides the
          // cache's own connection and lands
          redis.clients.jedis.Connection held = jedis.getPool().getResource();
          try (redis.clients.jedis.Jedis direct = new redis.clients.jedis.Jedis(a.getHostString(), a.getPort())) {
            c.put("k", "v");
            assertThat(direct.exists(prefix + "books:k")).isTrue();
          } finally {
            held.close();
          }
        });
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
  void withOnlyLettuceTheCacheHasARedisL2OverSpringDataRedisClient() {
    String prefix = "sb-test:" + UUID.randomUUID() + ":";
    InetSocketAddress a = TestServices.redis();
    runner.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class))
        .withPropertyValues("spring.data.redis.host=" + a.getHostString(),
            "spring.data.redis.port=" + a.getPort(),
            "scaleblocks.cache.key-prefix=" + prefix,
            "scaleblocks.cache.caches.books.value-type=java.lang.String")
        .run(ctx -> {
          assertThat(ctx).doesNotHaveBean(UnifiedJedis.class);
          Cache c = ctx.getBean(CacheManager.class).getCache("books");
          assertThat(c).isNotNull();
          c.put("k", "v");
          try (UnifiedJedis jedis = RedisClient.builder()
              .hostAndPort(a.getHostString(), a.getPort()).build()) {
            assertThat(jedis.exists(prefix + "books:k")).isTrue();
            assertThat(ctx.getBean(ScaleblocksBreakers.class).all()).containsKey("cache.books");
          }
        });
  }

  @Test
  void onARedisClusterTheL2UsesSpringDataRedisClusterClient() {
    String prefix = "sb-test:" + UUID.randomUUID() + ":";
    String nodes = TestServices.redisCluster().stream()
        .map(n -> n.getHostString() + ":" + n.getPort())
        .collect(java.util.stream.Collectors.joining(","));
    runner.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class))
        .withPropertyValues("spring.data.redis.cluster.nodes=" + nodes,
            "scaleblocks.cache.key-prefix=" + prefix,
            "scaleblocks.cache.caches.books.value-type=java.lang.String")
        .run(ctx -> {
          assertThat(ctx.getBean(RedisClientSource.class).lettuce())
              .isInstanceOf(io.lettuce.core.cluster.RedisClusterClient.class);
          Cache c = ctx.getBean(CacheManager.class).getCache("books");
          assertThat(c).isNotNull();
          for (int i = 0; i < 20; i++) {
            c.put("k" + i, "v" + i);
          }
          try (redis.clients.jedis.RedisClusterClient jedis = redis.clients.jedis.RedisClusterClient
              .builder().nodes(new java.util.HashSet<>(TestServices.redisCluster().stream()
                  .map(n -> new redis.clients.jedis.HostAndPort(n.getHostString(), n.getPort()))
                  .toList())).build()) {
            for (int i = 0; i < 20; i++) {
              assertThat(jedis.exists(prefix + "books:k" + i)).as("k" + i).isTrue();
            }
          }
        });
  }

  @Test
  @SuppressWarnings("deprecation") // JedisCluster: what Spring Data Redis' Jedis factory holds
  void springDataRedisOnJedisInClusterModeLendsItsJedisCluster() {
    String prefix = "sb-test:" + UUID.randomUUID() + ":";
    String nodes = TestServices.redisCluster().stream()
        .map(n -> n.getHostString() + ":" + n.getPort())
        .collect(java.util.stream.Collectors.joining(","));
    runner.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class))
        .withPropertyValues("spring.data.redis.client-type=jedis",
            "spring.data.redis.cluster.nodes=" + nodes,
            "scaleblocks.cache.key-prefix=" + prefix,
            "scaleblocks.cache.caches.books.value-type=java.lang.String")
        .run(ctx -> {
          assertThat(ctx).doesNotHaveBean(UnifiedJedis.class);
          UnifiedJedis lent = ctx.getBean(RedisClientSource.class).jedis();
          assertThat(lent).isInstanceOf(redis.clients.jedis.JedisCluster.class);
          Cache c = ctx.getBean(CacheManager.class).getCache("books");
          assertThat(c).isNotNull();
          c.put("k", "v");
          assertThat(lent.exists(prefix + "books:k")).isTrue();
          assertThat(ctx.getBean(ScaleblocksBreakers.class).all()).containsKey("cache.books");
        });
  }

  @Test
  void springDataRedisOnJedisStandaloneLendsNothing() {
    InetSocketAddress a = TestServices.redis();
    runner.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class))
        .withPropertyValues("spring.data.redis.client-type=jedis",
            "spring.data.redis.host=" + a.getHostString(), "spring.data.redis.port=" + a.getPort(),
            "scaleblocks.cache.caches.books.l1-ttl=5s")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx.getBean(RedisClientSource.class).jedis()).isNull();
          assertThat(ctx.getBean(ScaleblocksBreakers.class).all()).as("L1 only").isEmpty();
        });
  }

  @Test
  void withOnlyLettuceAnEvictionReachesTheOtherApplicationsL1() {
    String prefix = "sb-test:" + UUID.randomUUID() + ":";
    InetSocketAddress a = TestServices.redis();
    ApplicationContextRunner lettuce = runner
        .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class))
        .withPropertyValues("spring.data.redis.host=" + a.getHostString(),
            "spring.data.redis.port=" + a.getPort(),
            "scaleblocks.cache.key-prefix=" + prefix,
            "scaleblocks.cache.caches.books.value-type=java.lang.String",
            "scaleblocks.cache.caches.books.l1-ttl=10m");
    lettuce.run(one -> lettuce.run(two -> {
      Cache c1 = one.getBean(CacheManager.class).getCache("books");
      Cache c2 = two.getBean(CacheManager.class).getCache("books");
      assertThat(c1).isNotNull();
      assertThat(c2).isNotNull();
      c1.put("k", "v1");
      assertThat(c2.get("k", String.class)).as("an L2 hit, now in the L1").isEqualTo("v1");
      c1.put("k", "v2");
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(c2.get("k", String.class)).isEqualTo("v2"));
    }));
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
  static class JedisPoolOfOne {
    @Bean(destroyMethod = "close")
    RedisClient jedis() {
      InetSocketAddress a = TestServices.redis();
      redis.clients.jedis.ConnectionPoolConfig one = new redis.clients.jedis.ConnectionPoolConfig();
      one.setMaxTotal(1);
      one.setMaxWait(Duration.ofMillis(200));
      return RedisClient.builder().hostAndPort(a.getHostString(), a.getPort()).poolConfig(one).build();
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
