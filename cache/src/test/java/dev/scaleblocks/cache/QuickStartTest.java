package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.codec.Codec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/** The quick start of docs/cache.md, compiled and run (the Redis part in the ITs). */
class QuickStartTest {

  record Product(String id, String name) {}

  static Product loadFromDatabase(String id) {
    return new Product(id, "product " + id);
  }

  /** Stands for an asynchronous database or HTTP client. */
  static CompletionStage<Product> loadFromDatabaseAsync(String id) {
    return CompletableFuture.completedFuture(loadFromDatabase(id));
  }

  static final Codec<Product> PRODUCT_CODEC = new Codec<>() {
    @Override
    public byte[] encode(Product p) {
      return (p.id() + "\n" + p.name()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public Product decode(byte[] bytes) {
      String[] parts = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).split("\n", 2);
      return new Product(parts[0], parts[1]);
    }
  };

  @Test
  void embeddedL1Only() {
    // --- quick start: L1 only
    TieredCache<String, Product> products = TieredCache.builder()
        .name("products")
        .maximumSize(50_000)
        .l1Ttl(Duration.ofMinutes(5))
        .build();
    Product p = products.get("42", QuickStartTest::loadFromDatabase);
    // ---
    assertThat(p.name()).isEqualTo("product 42");
    products.close();
  }

  @Test
  void tags() {
    TieredCache<String, Product> products = TieredCache.builder().name("products-tags").build();
    Product updated = new Product("42", "renamed");
    // --- quick start: tags
    products.put("42", updated, Set.of("product:42", "category:7"));
    Product p = products.get("43", QuickStartTest::loadFromDatabase, Set.of("product:43", "category:7"));
    products.invalidateByTag("category:7");   // both entries, in both tiers, on every instance
    // ---
    assertThat(p.name()).isEqualTo("product 43");
    assertThat(products.getIfPresent("42")).isNull();
    assertThat(products.getIfPresent("43")).isNull();
    products.close();
  }

  @Test
  void loaderTimeoutsAndAsyncLoading() throws Exception {
    // --- loader timeouts
    TieredCache<String, Product> products = TieredCache.builder()
        .name("products")
        .staleIfError(Duration.ofMinutes(10))     // keeps expired values: what a timed-out caller gets
        .loadSoftTimeout(Duration.ofMillis(100))  // stale value after 100 ms; the load goes on
        .loadHardTimeout(Duration.ofSeconds(2))   // nothing stale: CacheLoadTimeoutException after 2 s
        .build();
    Product p = products.get("42", QuickStartTest::loadFromDatabase);
    Product q = products.get("43", QuickStartTest::loadFromDatabase,
        LoadTimeouts.hard(Duration.ofMillis(300)));        // this call's own timeouts
    CompletableFuture<Product> f = products.getAsyncLoading("44",
        QuickStartTest::loadFromDatabaseAsync);            // no thread waits for the load
    // ---
    assertThat(p.name()).isEqualTo("product 42");
    assertThat(q.name()).isEqualTo("product 43");
    assertThat(f.get(5, TimeUnit.SECONDS).name()).isEqualTo("product 44");
    products.close();
  }

  /** The two-tier set-up of the quick start; run against real Redis by the ITs' equivalents. */
  static TieredCache<String, Product> twoTier(SimpleMeterRegistry registry) {
    // --- quick start: two tiers
    RedisClient redis = RedisClient.builder()
        .hostAndPort("127.0.0.1", 6379)
        .clientConfig(DefaultJedisClientConfig.builder()
            .socketTimeoutMillis(300)      // a sick Redis becomes failures the breaker counts
            .connectionTimeoutMillis(300)
            .build())
        .build();
    TieredCache<String, Product> products = TieredCache.builder()
        .name("products")
        .keyCodec(Codec.utf8())
        .valueCodec(PRODUCT_CODEC)
        .redis(redis)
        .l1Ttl(Duration.ofMinutes(1))
        .l2Ttl(Duration.ofHours(1))
        .negativeTtl(Duration.ofSeconds(30))
        .refreshAhead(0.8)
        .staleIfError(Duration.ofMinutes(10))
        .telemetry(Telemetry.of(registry))
        .build();
    // ---
    return products;
  }

}
