package dev.scaleblocks.examples;

import java.sql.SQLException;
import java.util.Optional;

/**
 * Products as the API sees them: reads through the cache, writes to the shard's primary followed
 * by an invalidation. Thread-safe.
 */
final class ProductStore {

  private final Catalog catalog;

  ProductStore(Catalog catalog) {
    this.catalog = catalog;
  }

  Optional<Product> get(long id) throws SQLException {
    return catalog.find(id);
  }

  Optional<Product> updatePrice(long id, long priceCents) throws SQLException {
    return catalog.updatePrice(id, priceCents);
  }
}
