package dev.scaleblocks.examples;

import com.zaxxer.hikari.HikariDataSource;
import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.hash.Hashing;
import dev.scaleblocks.pooling.HealthSnapshot;
import dev.scaleblocks.pooling.Pools;
import dev.scaleblocks.pooling.ReadWriteDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import javax.sql.DataSource;

/**
 * The catalog's shards: one pooled data source per shard (in-memory H2 by default), or a
 * {@link ReadWriteDataSource} per shard (PostgreSQL primary + replica) when URLs are configured.
 * The product id is the shard key.
 *
 * <p>Thread-safe after construction.
 */
final class Shards implements AutoCloseable {

  private final List<String> names = new ArrayList<>();
  private final Map<String, DataSource> primaries = new LinkedHashMap<>();
  private final Map<String, DataSource> replicas = new LinkedHashMap<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<ReadWriteDataSource> routed = new ArrayList<>();
  private final ScheduledExecutorService scheduler;

  Shards(DemoConfig config, Telemetry telemetry) {
    scheduler = Pools.newScheduler("demo-db", 1);
    if (config.databaseUrls().isEmpty()) {
      for (int i = 0; i < config.shards(); i++) {
        String name = "shard-" + i;
        HikariDataSource pool =
            Pools.builder()
                .jdbcUrl("jdbc:h2:mem:" + config.instance() + "-" + name + ";DB_CLOSE_DELAY=-1")
                .credentials("sa", "")
                .poolName(config.instance() + "-" + name)
                .maximumPoolSize(8)
                .shard(name)
                .telemetry(telemetry)
                .scheduler(scheduler)
                .build();
        add(name, pool, pool, pool);
      }
    } else {
      for (int i = 0; i < config.databaseUrls().size(); i++) {
        String name = "shard-" + i;
        ReadWriteDataSource.Builder rw =
            ReadWriteDataSource.builder()
                .name(config.instance() + "-" + name)
                .primary(pool(config, config.databaseUrls().get(i)))
                .shard(name)
                .telemetry(telemetry)
                .scheduler(scheduler);
        if (!config.replicaUrls().isEmpty()) {
          rw.replica(pool(config, config.replicaUrls().get(i)));
        }
        ReadWriteDataSource ds = rw.build();
        routed.add(ds);
        add(name, ds.readWrite(), ds.readOnly(), ds);
      }
    }
  }

  private static Pools.Builder pool(DemoConfig config, String url) {
    return Pools.builder()
        .jdbcUrl(url)
        .credentials(config.databaseUser(), config.databasePassword())
        .maximumPoolSize(8);
  }

  private void add(String name, DataSource primary, DataSource replica, AutoCloseable owner) {
    names.add(name);
    primaries.put(name, primary);
    replicas.put(name, replica);
    closeables.add(owner);
  }

  List<String> names() {
    return List.copyOf(names);
  }

  /** The shard a product lives on. */
  String shardOf(long productId) {
    return names.get((int) Long.remainderUnsigned(Hashing.xxHash64(productId), names.size()));
  }

  DataSource primary(String shard) {
    return primaries.get(shard);
  }

  DataSource replica(String shard) {
    return replicas.get(shard);
  }

  /** Per shard: "UP" or what is wrong, for {@code /health}. */
  Map<String, String> health() {
    Map<String, String> out = new LinkedHashMap<>();
    if (!routed.isEmpty()) {
      for (int i = 0; i < routed.size(); i++) {
        HealthSnapshot h = routed.get(i).health();
        out.put(names.get(i), h.ready() ? "UP (" + h.replicasServing() + " replicas serving)" : "DOWN " + h);
      }
      return out;
    }
    for (String name : names) {
      try (Connection c = primaries.get(name).getConnection()) {
        out.put(name, c.isValid(1) ? "UP" : "DOWN");
      } catch (SQLException e) {
        out.put(name, "DOWN " + e.getMessage());
      }
    }
    return out;
  }

  @Override
  public void close() {
    for (AutoCloseable c : closeables) {
      try {
        if (c instanceof ReadWriteDataSource rw) {
          rw.drain(Duration.ofSeconds(2));
        } else {
          c.close();
        }
      } catch (Exception e) {
        // closing: nothing left to do about it
      }
    }
    scheduler.shutdownNow();
  }
}
