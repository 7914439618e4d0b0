package dev.scaleblocks.examples;

import dev.scaleblocks.cache.CacheEntry;
import dev.scaleblocks.cache.TieredCache;
import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.codec.Codec;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.UnifiedJedis;

/**
 * Products as the API sees them: reads through a {@link TieredCache} (L1 in this JVM, L2 in Redis
 * when configured), writes to the shard's primary followed by a cache {@code put}, which updates
 * Redis and drops the key from every other instance's L1.
 *
 * <p>Thread-safe.
 */
final class ProductStore implements AutoCloseable {

  /** Products in Redis as UTF-8 {@code id|priceCents|version|shard|name}. */
  static final Codec<Product> CODEC =
      new Codec<>() {
        @Override
        public byte[] encode(Product value) {
          return value.encode().getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public Product decode(byte[] bytes) {
          return Product.decode(new String(bytes, StandardCharsets.UTF_8));
        }
      };

  private final Catalog catalog;
  private final TieredCache<Long, Product> cache;

  ProductStore(Catalog catalog, DemoConfig config, Telemetry telemetry, @Nullable UnifiedJedis redis) {
    this.catalog = catalog;
    var builder =
        TieredCache.builder()
            .name("products")
            .maximumSize(10_000)
            .l1Ttl(Duration.ofMinutes(1))
            .l2Ttl(Duration.ofMinutes(10))
            .negativeTtl(Duration.ofSeconds(5))
            .instanceId(config.instance())
            .telemetry(telemetry)
            .keyCodec(Codec.longs())
            .valueCodec(CODEC);
    if (redis != null) {
      builder.redis(redis).keyPrefix(config.namespace() + ":products:");
    }
    this.cache = builder.build();
  }

  /** The product with the cache entry's version and write time, or null when there is none. */
  @Nullable CacheEntry<Product> get(long id) {
    return cache.getEntry(id, key -> {
      try {
        return catalog.find(key).orElse(null);
      } catch (SQLException e) {
        throw new IllegalStateException("reading product " + key + " failed", e);
      }
    });
  }

  /** The cache, for the validators of conditional requests. */
  TieredCache<Long, Product> cache() {
    return cache;
  }

  Optional<Product> updatePrice(long id, long priceCents) throws SQLException {
    Optional<Product> updated = catalog.updatePrice(id, priceCents);
    updated.ifPresent(p -> cache.put(id, p));
    return updated;
  }

  @Override
  public void close() {
    cache.close();
  }
}
