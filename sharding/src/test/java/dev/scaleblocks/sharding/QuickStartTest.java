package dev.scaleblocks.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** The quick start of docs/sharding.md, kept compiling; the routing part runs. */
class QuickStartTest {

  static DataSource pool(String database) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setDatabaseName(database);
    return ds; // in production: a HikariDataSource per database
  }

  /** Compiled, and run against real databases in ShardedDataSourceIT's style. */
  static Map<String, Long> quickStart(DataSource dsA, DataSource dsB, DataSource dsC) throws SQLException {
    ShardRouter<DataSource> router =
        ShardRouter.<DataSource>rendezvous()
            .shard("orders-a", dsA)
            .shard("orders-b", dsB)
            .shard("orders-c", dsC, 2.0) // twice the hardware: twice the keys
            .build();
    try (ShardedDataSource db = ShardedDataSource.builder().router(router).build()) {
      try (Connection c = db.getConnection("customer-42");
          PreparedStatement ps = c.prepareStatement("SELECT * FROM orders WHERE customer_id = ?")) {
        ps.setString(1, "customer-42");
        ps.executeQuery().close();
      }
      return db.fanOut(
          shard -> {
            try (Connection c = shard.handle().getConnection();
                ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM orders")) {
              rs.next();
              return rs.getLong(1);
            }
          });
    }
  }

  @Test
  void addingAShardWithAPlan() {
    ShardRouterHolder<DataSource> routers =
        ShardRouterHolder.of(
            ShardRouter.<DataSource>rendezvous()
                .shard("orders-a", pool("a"))
                .shard("orders-b", pool("b"))
                .shard("orders-c", pool("c"), 2.0)
                .build());
    List<String> customerIds =
        IntStream.range(0, 10_000).mapToObj(i -> "customer-" + i).collect(Collectors.toList());

    ShardRouter<DataSource> next = routers.current().withShard("orders-d", pool("d"));
    RebalancePlan plan = RebalancePlan.between(routers.current(), next);
    List<RebalancePlan.KeyMove<String>> moves = plan.keysToMove(customerIds);
    // copy each moved customer's rows from m.from() to m.to(), then switch readers over:
    routers.set(next);

    assertThat(plan.idealFraction()).isEqualTo(0.2); // the new shard's share: 1 of 5 weight units
    assertThat(moves.size() / 10_000.0).isBetween(0.18, 0.22);
    assertThat(moves).allSatisfy(m -> assertThat(m.to()).isEqualTo("orders-d"));
  }
}
