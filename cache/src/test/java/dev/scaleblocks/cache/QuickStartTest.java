package dev.scaleblocks.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.codec.Codec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/** The quick start of docs/cache.md, compiled and run (the Redis part in the ITs). */
class QuickStartTest {

  record Product(String id, String name) {}

  static Product loadFromDatabase(String id) {
    return new Product(id, "product " + id);
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
