package dev.scaleblocks.examples;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Products spread over shards: the product id is the shard key. Reads go to the shard's read
 * data source (its replica when there is one), writes to its primary.
 *
 * <p>Thread-safe; every call borrows a pooled connection.
 */
final class Catalog {

  private static final Logger LOG = LoggerFactory.getLogger(Catalog.class);

  private final Shards shards;

  Catalog(Shards shards) {
    this.shards = shards;
  }

  /** Creates the table on every shard and, if the catalog is empty, seeds products 1..count. */
  void createAndSeed(int count) throws SQLException {
    for (String shard : shards.names()) {
      try (Connection c = shards.primary(shard).getConnection();
          Statement st = c.createStatement()) {
        st.execute(
            "CREATE TABLE IF NOT EXISTS products (id BIGINT PRIMARY KEY, name VARCHAR(200) NOT NULL,"
                + " price_cents BIGINT NOT NULL, version BIGINT NOT NULL)");
      }
    }
    int seeded = 0;
    for (long id = 1; id <= count; id++) {
      String shard = shards.shardOf(id);
      try (Connection c = shards.primary(shard).getConnection();
          PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO products (id, name, price_cents, version) SELECT ?, ?, ?, 1"
                      + " WHERE NOT EXISTS (SELECT 1 FROM products WHERE id = ?)")) {
        ps.setLong(1, id);
        ps.setString(2, "Product " + id);
        ps.setLong(3, 100 + (id * 37) % 9900);
        ps.setLong(4, id);
        seeded += ps.executeUpdate();
      }
    }
    LOG.info("catalog: {} shards, {} products seeded", shards.names().size(), seeded);
  }

  /** Reads a product from its shard's read side. */
  Optional<Product> find(long id) throws SQLException {
    String shard = shards.shardOf(id);
    return read(shards.replica(shard), shard, id);
  }

  /** Sets a product's price on its shard's primary, bumps its version, returns the new state. */
  Optional<Product> updatePrice(long id, long priceCents) throws SQLException {
    String shard = shards.shardOf(id);
    DataSource primary = shards.primary(shard);
    try (Connection c = primary.getConnection();
        PreparedStatement ps =
            c.prepareStatement("UPDATE products SET price_cents = ?, version = version + 1 WHERE id = ?")) {
      ps.setLong(1, priceCents);
      ps.setLong(2, id);
      if (ps.executeUpdate() == 0) {
        return Optional.empty();
      }
    }
    return read(primary, shard, id);
  }

  private static Optional<Product> read(DataSource ds, String shard, long id) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT name, price_cents, version FROM products WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new Product(id, rs.getString(1), rs.getLong(2), rs.getLong(3), shard));
      }
    }
  }
}
