package dev.scaleblocks.examples;

import com.zaxxer.hikari.HikariDataSource;
import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.pooling.HealthSnapshot;
import dev.scaleblocks.pooling.Pools;
import dev.scaleblocks.pooling.ReadWriteDataSource;
import dev.scaleblocks.sharding.ShardRouter;
import dev.scaleblocks.sharding.ShardedDataSource;
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
 * The catalog's shards behind a {@link ShardedDataSource} (Jump consistent hash on the product
 * id). Each shard is a pooled H2 in-memory database by default, or a {@link ReadWriteDataSource}
 * (PostgreSQL primary + replica) when URLs are configured: its lazy connections go to the replica
 * when made read-only before first use, so {@link #read} reads from the replica.
 *
 * <p>Thread-safe after construction.
 */
final class Shards implements AutoCloseable {

  private final List<AutoCloseable> pools = new ArrayList<>();
  private final Map<String, ReadWriteDataSource> routed = new LinkedHashMap<>();
  private final ScheduledExecutorService scheduler;
  private final ShardedDataSource sharded;

  Shards(DemoConfig config, Telemetry telemetry) {
    scheduler = Pools.newScheduler("demo-db", 1);
    ShardRouter.Builder<DataSource> router = ShardRouter.jump();
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
        pools.add(pool);
        router.shard(name, pool);
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
        pools.add(ds);
        routed.put(name, ds);
        router.shard(name, ds);
      }
    }
    sharded = ShardedDataSource.builder().router(router.build()).telemetry(telemetry).build();
  }

  private static Pools.Builder pool(DemoConfig config, String url) {
    return Pools.builder()
        .jdbcUrl(url)
        .credentials(config.databaseUser(), config.databasePassword())
        .maximumPoolSize(8);
  }

  ShardedDataSource sharded() {
    return sharded;
  }

  /** The shard a product lives on. */
  String shardOf(long productId) {
    return sharded.routers().current().shardFor(productId).name();
  }

  /** A connection to the product's shard, for writes: the primary. */
  Connection write(long productId) throws SQLException {
    return sharded.getConnection(productId);
  }

  /** A read-only connection to the product's shard: its replica when it has a serving one. */
  Connection read(long productId) throws SQLException {
    Connection c = sharded.getConnection(productId);
    try {
      c.setReadOnly(true);
      return c;
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** Per shard: "UP" or what is wrong, for {@code /health}. Asks every shard in parallel. */
  Map<String, String> health() {
    if (!routed.isEmpty()) {
      Map<String, String> out = new LinkedHashMap<>();
      routed.forEach((name, rw) -> {
        HealthSnapshot h = rw.health();
        out.put(name, h.ready() ? "UP (" + h.replicasServing() + " replicas serving)" : "DOWN " + h);
      });
      return out;
    }
    try {
      return sharded.fanOut(shard -> {
        try (Connection c = shard.handle().getConnection()) {
          return c.isValid(1) ? "UP" : "DOWN";
        }
      });
    } catch (RuntimeException e) {
      Map<String, String> out = new LinkedHashMap<>();
      out.put("shards", "DOWN " + e.getMessage());
      return out;
    }
  }

  @Override
  public void close() {
    sharded.close();
    for (AutoCloseable c : pools) {
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
