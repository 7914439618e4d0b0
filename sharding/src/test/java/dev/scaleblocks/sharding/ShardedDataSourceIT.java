package dev.scaleblocks.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.scaleblocks.core.testing.TestServices;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Three databases on the real PostgreSQL server as shards. */
class ShardedDataSourceIT {

  private static final String SUFFIX =
      Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36).toLowerCase(Locale.ROOT);
  private static final List<String> DATABASES = new ArrayList<>();
  private static final List<HikariDataSource> POOLS = new ArrayList<>();

  @BeforeAll
  static void createDatabases() throws SQLException {
    try (Connection admin = admin(); Statement st = admin.createStatement()) {
      for (int i = 0; i < 3; i++) {
        String db = "sb_shard_" + SUFFIX + "_" + i;
        st.execute("CREATE DATABASE " + db);
        DATABASES.add(db);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(TestServices.postgresPrimaryUrl(db));
        config.setUsername(TestServices.postgresUser());
        config.setMaximumPoolSize(2);
        config.setPoolName("shard-" + i);
        HikariDataSource pool = new HikariDataSource(config);
        POOLS.add(pool);
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
          s.execute("CREATE TABLE customers (id text PRIMARY KEY, name text NOT NULL)");
        }
      }
    }
  }

  @AfterAll
  static void dropDatabases() throws SQLException {
    POOLS.forEach(HikariDataSource::close);
    try (Connection admin = admin(); Statement st = admin.createStatement()) {
      for (String db : DATABASES) {
        st.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      }
    }
  }

  private static Connection admin() throws SQLException {
    return DriverManager.getConnection(
        TestServices.postgresPrimaryUrl("postgres"), TestServices.postgresUser(), "");
  }

  @Test
  void rowsLandInTheRoutedDatabaseAndFanOutGathersThemAll() throws Exception {
    ShardRouter.Builder<DataSource> builder = ShardRouter.ketama();
    for (int i = 0; i < POOLS.size(); i++) {
      builder.shard(DATABASES.get(i), POOLS.get(i));
    }
    ShardRouter<DataSource> router = builder.build();
    Map<String, Integer> expectedPerDb = new HashMap<>();
    List<String> ids = new ArrayList<>();
    try (ShardedDataSource db = ShardedDataSource.builder().router(router).parallelism(3).build()) {
      for (int i = 0; i < 300; i++) {
        String id = "customer-" + i;
        ids.add(id);
        try (Connection c = db.getConnection(id);
            PreparedStatement ps = c.prepareStatement("INSERT INTO customers VALUES (?, ?)")) {
          ps.setString(1, id);
          ps.setString(2, "name " + i);
          ps.executeUpdate();
        }
        expectedPerDb.merge(router.shardFor(id).name(), 1, Integer::sum);
      }
      assertThat(expectedPerDb).hasSize(3);

      // each of the first 30 rows is in exactly the database the router names (plain connections);
      // the per-database counts below cover the rest
      for (String id : ids.subList(0, 30)) {
        String owner = router.shardFor(id).name();
        for (String database : DATABASES) {
          try (Connection c = DriverManager.getConnection(
                  TestServices.postgresPrimaryUrl(database), TestServices.postgresUser(), "");
              PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM customers WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              assertThat(rs.getInt(1)).as("%s in %s", id, database).isEqualTo(database.equals(owner) ? 1 : 0);
            }
          }
        }
      }

      Map<String, Integer> counts =
          db.fanOut(
              shard -> {
                try (Connection c = shard.handle().getConnection();
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) FROM customers")) {
                  rs.next();
                  return rs.getInt(1);
                }
              });
      assertThat(counts).isEqualTo(expectedPerDb);
      assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(300);

      List<String> wanted = ids.subList(0, 25);
      Map<String, List<String>> names =
          db.fanOut(
              wanted,
              (shard, keys) -> {
                List<String> found = new ArrayList<>();
                try (Connection c = shard.handle().getConnection();
                    PreparedStatement ps =
                        c.prepareStatement("SELECT name FROM customers WHERE id = ANY (?) ORDER BY id")) {
                  ps.setArray(1, c.createArrayOf("text", keys.toArray()));
                  try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                      found.add(rs.getString(1));
                    }
                  }
                }
                assertThat(found).hasSize(keys.size());
                return found;
              });
      assertThat(names.values().stream().mapToInt(List::size).sum()).isEqualTo(25);
    }
  }
}
