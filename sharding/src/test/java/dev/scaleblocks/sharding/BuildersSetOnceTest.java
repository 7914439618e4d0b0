package dev.scaleblocks.sharding;

import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.SetOnceOptions;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** Every single-valued builder option refuses a second set, naming the option and its value. */
class BuildersSetOnceTest {

  private final ExecutorService executor = Executors.newSingleThreadExecutor();

  @AfterEach
  void shutdown() {
    executor.shutdownNow();
  }

  @Test
  void shardRouterBuilder() {
    SetOnceOptions.<ShardRouter.Builder<String>>of(ShardRouter.Builder.class, ShardRouter::ketama)
        .additive("shard", "slots")
        .option("keyHash", b -> b.keyHash(KeyHash.XXHASH64), "keyHash was already set to XXHASH64")
        .option("pointsPerWeight", b -> b.pointsPerWeight(40), "pointsPerWeight was already set to 40")
        .option("tableSize", ShardRouter::maglev, b -> b.tableSize(101), "tableSize was already set to 101")
        .verify();
  }

  @Test
  void shardedDataSourceBuilder() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ShardRouter<DataSource> router = ShardRouter.<DataSource>jump().shard("s0", ds).build();
    SetOnceOptions.of(ShardedDataSource.Builder.class, ShardedDataSource::builder)
        .option("router", b -> b.router(router), "router was already set")
        .option("routers", b -> b.routers(ShardRouterHolder.of(router)), "router was already set")
        .option("parallelism", b -> b.parallelism(3), "parallelism was already set to 3")
        .option("queueCapacity", b -> b.queueCapacity(64), "queueCapacity was already set to 64")
        .option("executor", b -> b.executor(executor), "executor was already set")
        .option("fanOutTimeout", b -> b.fanOutTimeout(Duration.ofSeconds(2)),
            "fanOutTimeout was already set to PT2S")
        .option("telemetry", b -> b.telemetry(Telemetry.none()), "telemetry was already set")
        .alsoRefused("router", "routers", "router was already set")
        .alsoRefused("routers", "router", "router was already set")
        .verify();
  }
}
