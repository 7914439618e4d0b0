package dev.scaleblocks.examples;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Products spread over shards: the product id is the shard key. Reads use read-only connections
 * (the shard's replica when there is one), writes the shard's primary.
 *
 * <p>Thread-safe; every call borrows a pooled connection.
 */
final class Catalog {

  private static final Logger LOG = LoggerFactory.getLogger(Catalog.class);

  /** SQLSTATE of a unique or primary key violation (PostgreSQL and H2 alike). */
  private static final String UNIQUE_VIOLATION = "23505";

  /** SQLSTATE of PostgreSQL's "relation already exists". */
  private static final String DUPLICATE_TABLE = "42P07";
  /** The table's row type created by another session a moment earlier ("type ... already exists"). */
  private static final String DUPLICATE_OBJECT = "42710";

  private final Shards shards;

  Catalog(Shards shards) {
    this.shards = shards;
  }

  /**
   * Creates the table on every shard (in parallel) and seeds products 1..count that are missing.
   * Safe when several instances start together on the same empty databases (the scale-out start):
   * a table or a product another instance created a moment earlier is taken as created.
   */
  void createAndSeed(int count) throws SQLException {
    shards.sharded().fanOut(shard -> {
      try (Connection c = shard.handle().getConnection()) {
        createTable(c);
        return true;
      }
    });
    int seeded = 0;
    for (long id = 1; id <= count; id++) {
      try (Connection c = shards.write(id);
          PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO products (id, name, price_cents, version) SELECT ?, ?, ?, 1"
                      + " WHERE NOT EXISTS (SELECT 1 FROM products WHERE id = ?)")) {
        ps.setLong(1, id);
        ps.setString(2, "Product " + id);
        ps.setLong(3, 100 + (id * 37) % 9900);
        ps.setLong(4, id);
        seeded += ps.executeUpdate();
      } catch (SQLException e) {
        // NOT EXISTS does not see a row another instance inserted in a transaction still open
        if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
          throw e;
        }
      }
    }
    LOG.info("catalog: {} products seeded, per shard {}", seeded, counts());
  }

  /**
   * CREATE TABLE IF NOT EXISTS is not safe against itself on PostgreSQL: two sessions that both
   * see no table both create it, and the second fails on the catalog's unique index (23505), with
   * "relation already exists" (42P07) or with "type already exists" (42710, the table's row type).
   * Then the table exists: the statement, run again, does nothing.
   */
  private static void createTable(Connection c) throws SQLException {
    String ddl =
        "CREATE TABLE IF NOT EXISTS products (id BIGINT PRIMARY KEY, name VARCHAR(200) NOT NULL,"
            + " price_cents BIGINT NOT NULL, version BIGINT NOT NULL)";
    try (Statement st = c.createStatement()) {
      st.execute(ddl);
    } catch (SQLException e) {
      String state = e.getSQLState();
      if (!UNIQUE_VIOLATION.equals(state) && !DUPLICATE_TABLE.equals(state)
          && !DUPLICATE_OBJECT.equals(state)) {
        throw e;
      }
      if (!c.getAutoCommit()) {
        c.rollback();
      }
      try (Statement st = c.createStatement()) {
        st.execute(ddl);
      }
    }
  }

  /** Products per shard, counted on every shard in parallel (a fan-out). */
  Map<String, Long> counts() {
    return shards.sharded().fanOut(shard -> {
      try (Connection c = shard.handle().getConnection();
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM products")) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  /** Reads a product on its shard's read side. */
  Optional<Product> find(long id) throws SQLException {
    try (Connection c = shards.read(id)) {
      return read(c, id);
    }
  }

  /** Sets a product's price on its shard's primary, bumps its version, returns the new state. */
  Optional<Product> updatePrice(long id, long priceCents) throws SQLException {
    try (Connection c = shards.write(id)) {
      try (PreparedStatement ps =
          c.prepareStatement("UPDATE products SET price_cents = ?, version = version + 1 WHERE id = ?")) {
        ps.setLong(1, priceCents);
        ps.setLong(2, id);
        if (ps.executeUpdate() == 0) {
          return Optional.empty();
        }
      }
      return read(c, id);
    }
  }

  private Optional<Product> read(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT name, price_cents, version FROM products WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new Product(id, rs.getString(1), rs.getLong(2), rs.getLong(3), shards.shardOf(id)));
      }
    }
  }
}
