package dev.scaleblocks.pooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.util.Credentials;
import dev.scaleblocks.core.Telemetry;
import dev.scaleblocks.core.testing.FakeTicker;
import dev.scaleblocks.core.testing.SetOnceOptions;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every single-valued builder option refuses a second set, naming the option and its value. */
class BuildersSetOnceTest {

  private final ScheduledExecutorService scheduler = Pools.newScheduler("set-once", 1);

  @AfterEach
  void shutdown() {
    scheduler.shutdownNow();
  }

  @Test
  void poolsBuilder() {
    SetOnceOptions.of(Pools.Builder.class, Pools::builder)
        .additive("dataSourceProperty")
        .option("jdbcUrl", b -> b.jdbcUrl("jdbc:postgresql://db1:5432/orders"), "jdbcUrl was already set")
        .option("postgresql", b -> b.postgresql("db1", 5432, "orders"), "jdbcUrl was already set")
        .option("driverClassName", b -> b.driverClassName("org.postgresql.Driver"),
            "driverClassName was already set to org.postgresql.Driver")
        .option("credentials", b -> b.credentials("app", "secret"), "credentials was already set")
        .option("credentialsProvider", b -> b.credentialsProvider(() -> Credentials.of("app", "secret")),
            "credentials was already set")
        .option("poolName", b -> b.poolName("orders"), "poolName was already set to orders")
        .option("maximumPoolSize", b -> b.maximumPoolSize(8), "maximumPoolSize was already set to 8")
        .option("minimumIdle", b -> b.minimumIdle(0), "minimumIdle was already set to 0")
        .option("connectionTimeout", b -> b.connectionTimeout(Duration.ofMillis(500)),
            "connectionTimeout was already set to 500ms")
        .option("idleTimeout", b -> b.idleTimeout(Duration.ZERO), "idleTimeout was already set to 0s")
        .option("maxLifetime", b -> b.maxLifetime(Duration.ofMinutes(1)), "maxLifetime was already set to 60s")
        .option("keepaliveTime", b -> b.keepaliveTime(Duration.ofSeconds(30)),
            "keepaliveTime was already set to 30s")
        .option("validationTimeout", b -> b.validationTimeout(Duration.ofSeconds(1)),
            "validationTimeout was already set to 1s")
        .option("leakDetectionThreshold", b -> b.leakDetectionThreshold(Duration.ofSeconds(2)),
            "leakDetectionThreshold was already set to 2s")
        .option("autoCommit", b -> b.autoCommit(false), "autoCommit was already set to false")
        .option("readOnly", b -> b.readOnly(true), "readOnly was already set to true")
        .option("shard", b -> b.shard("s1"), "shard was already set to s1")
        .option("telemetry", b -> b.telemetry(Telemetry.none()), "telemetry was already set")
        .option("scheduler", b -> b.scheduler(scheduler), "scheduler was already set")
        .option("customize", b -> b.customize(c -> {}), "customize was already set")
        .alsoRefused("jdbcUrl", "postgresql", "jdbcUrl was already set")
        .alsoRefused("credentials", "credentialsProvider", "credentials was already set")
        .alsoRefused("credentialsProvider", "credentials", "credentials was already set")
        .verify();
  }

  @Test
  void dataSourcePropertyOncePerName() {
    Pools.Builder b = Pools.builder().dataSourceProperty("ApplicationName", "a");
    assertThatThrownBy(() -> b.dataSourceProperty("ApplicationName", "b"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("dataSourceProperty ApplicationName was already set");
    b.dataSourceProperty("tcpKeepAlive", "true"); // another name is another option
    assertThat(b.jdbcUrl("jdbc:postgresql://db1/x").toConfig().getDataSourceProperties())
        .containsEntry("ApplicationName", "a");
  }

  @Test
  void readWriteDataSourceBuilder() {
    SetOnceOptions.of(ReadWriteDataSource.Builder.class, ReadWriteDataSource::builder)
        .additive("replica")
        .option("name", b -> b.name("orders"), "name was already set to orders")
        .option("primary", b -> b.primary(Pools.builder()), "primary was already set")
        .option("balancing", b -> b.balancing(Balancing.ROUND_ROBIN), "balancing was already set to ROUND_ROBIN")
        .option("healthCheckInterval", b -> b.healthCheckInterval(Duration.ofMillis(500)),
            "healthCheckInterval was already set to 500ms")
        .option("probeTimeout", b -> b.probeTimeout(Duration.ofSeconds(2)), "probeTimeout was already set to 2s")
        .option("readTimeout", b -> b.readTimeout(Duration.ofSeconds(3)), "readTimeout was already set to 3s")
        .option("readmitAfter", b -> b.readmitAfter(3), "readmitAfter was already set to 3")
        .option("maxReplicationLag", b -> b.maxReplicationLag(Duration.ofSeconds(10)),
            "maxReplicationLag was already set to 10s")
        .option("unboundedReplicationLag", ReadWriteDataSource.Builder::unboundedReplicationLag,
            "maxReplicationLag was already set to unbounded")
        .option("shard", b -> b.shard("s1"), "shard was already set to s1")
        .option("telemetry", b -> b.telemetry(Telemetry.none()), "telemetry was already set")
        .option("scheduler", b -> b.scheduler(scheduler), "scheduler was already set")
        .option("ticker", b -> b.ticker(new FakeTicker()), "ticker was already set")
        .alsoRefused("maxReplicationLag", "unboundedReplicationLag", "maxReplicationLag was already set to 10s")
        .alsoRefused("unboundedReplicationLag", "maxReplicationLag", "maxReplicationLag was already set to unbounded")
        .verify();
  }

  @Test
  void aPoolsBuilderIsCopiedWhenHandedOver() {
    Pools.Builder shared = Pools.builder().jdbcUrl("jdbc:postgresql://db1:5432/orders");
    ReadWriteDataSource.Builder rw = ReadWriteDataSource.builder().primary(shared);
    // options left unset, given after the hand-over: they stay on the caller's builder
    shared.poolName("late").dataSourceProperty("ApplicationName", "late");
    HikariConfig primary = rw.settings().primary().toConfig();
    assertThat(primary.getPoolName()).isNotEqualTo("late");
    assertThat(primary.getDataSourceProperties()).doesNotContainKey("ApplicationName");
    assertThat(shared.toConfig().getPoolName()).isEqualTo("late");
  }
}
