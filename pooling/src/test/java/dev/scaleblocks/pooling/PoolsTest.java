package dev.scaleblocks.pooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PoolsTest {

  private static Pools.Builder valid() {
    return Pools.builder().jdbcUrl("jdbc:postgresql://127.0.0.1:5432/postgres").poolName("p");
  }

  @Test
  void defaultsAreAFixedSizePoolFromTheWikiFormula() {
    HikariConfig c = valid().toConfig();
    int expected = Runtime.getRuntime().availableProcessors() * 2 + 1;
    assertThat(c.getMaximumPoolSize()).isEqualTo(expected);
    assertThat(c.getMinimumIdle()).isEqualTo(expected);
    assertThat(c.getConnectionTimeout()).isEqualTo(2_000);
    assertThat(c.getIdleTimeout()).as("fixed-size: idle connections are kept").isZero();
    assertThat(valid().minimumIdle(1).toConfig().getIdleTimeout()).isEqualTo(30_000);
    assertThat(c.getMaxLifetime()).isEqualTo(Duration.ofMinutes(25).toMillis());
    assertThat(c.getKeepaliveTime()).isEqualTo(Duration.ofMinutes(2).toMillis());
    assertThat(c.getLeakDetectionThreshold()).isZero();
    assertThat(c.getMetricsTrackerFactory()).as("no metrics unless telemetry is given").isNull();
    assertThat(c.getPoolName()).isEqualTo("p");
  }

  @Test
  void settingsReachHikari() {
    HikariConfig c =
        Pools.builder()
            .postgresql("db1", 6432, "orders")
            .credentials("app", "secret")
            .maximumPoolSize(20)
            .minimumIdle(5)
            .connectionTimeout(Duration.ofMillis(500))
            .idleTimeout(Duration.ofSeconds(45))
            .maxLifetime(Duration.ofMinutes(10))
            .keepaliveTime(Duration.ZERO)
            .leakDetectionThreshold(Duration.ofSeconds(5))
            .dataSourceProperty("ApplicationName", "orders")
            .toConfig();
    assertThat(c.getJdbcUrl()).isEqualTo("jdbc:postgresql://db1:6432/orders");
    assertThat(c.getUsername()).isEqualTo("app");
    assertThat(c.getMaximumPoolSize()).isEqualTo(20);
    assertThat(c.getMinimumIdle()).isEqualTo(5);
    assertThat(c.getConnectionTimeout()).isEqualTo(500);
    assertThat(c.getValidationTimeout()).as("follows a shorter connectionTimeout").isEqualTo(500);
    assertThat(c.getIdleTimeout()).isEqualTo(45_000);
    assertThat(c.getKeepaliveTime()).isZero();
    assertThat(c.getLeakDetectionThreshold()).isEqualTo(5_000);
    assertThat(c.getDataSourceProperties()).containsEntry("ApplicationName", "orders");
    assertThat(c.getPoolName()).startsWith("scaleblocks-pool-");
  }

  @Test
  void minimumIdleAboveMaximumIsRejectedNamingBoth() {
    assertThatThrownBy(() -> valid().maximumPoolSize(5).minimumIdle(8).toConfig())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minimumIdle must not exceed maximumPoolSize but was 8 > 5");
  }

  @Test
  void maxLifetimeBelowThirtySecondsIsRejected() {
    assertThatThrownBy(() -> valid().maxLifetime(Duration.ofSeconds(10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxLifetime must be at least 30s but was 10s");
  }

  @Test
  void eachBadSettingIsNamed() {
    assertThatThrownBy(() -> valid().maximumPoolSize(0))
        .hasMessage("maximumPoolSize must be positive but was 0");
    assertThatThrownBy(() -> valid().minimumIdle(-1))
        .hasMessage("minimumIdle must not be negative but was -1");
    assertThatThrownBy(() -> valid().connectionTimeout(Duration.ofMillis(100)))
        .hasMessage("connectionTimeout must be at least 250ms but was 100ms");
    assertThatThrownBy(() -> valid().idleTimeout(Duration.ofSeconds(5)))
        .hasMessage("idleTimeout must be zero (off) or at least 10s but was 5s");
    assertThatThrownBy(() -> valid().keepaliveTime(Duration.ofSeconds(1)))
        .hasMessage("keepaliveTime must be zero (off) or at least 30s but was 1s");
    assertThatThrownBy(() -> valid().leakDetectionThreshold(Duration.ofMillis(500)))
        .hasMessage("leakDetectionThreshold must be zero (off) or at least 2s but was 500ms");
    assertThatThrownBy(() -> Pools.builder().jdbcUrl("postgresql://x/y"))
        .hasMessage("jdbcUrl must start with jdbc: but was postgresql://x/y");
    assertThatThrownBy(() -> Pools.builder().postgresql("h", 70000, "d"))
        .hasMessage("port must be in [1, 65535] but was 70000");
    assertThatThrownBy(() -> Pools.builder().poolName(""))
        .hasMessage("poolName must not be empty");
    assertThatThrownBy(() -> valid().connectionTimeout(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("connectionTimeout must not be null");
    assertThatThrownBy(() -> Pools.builder().toConfig())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("jdbcUrl must be set");
  }

  @Test
  void dependentSettingsAreCheckedAtBuild() {
    assertThatThrownBy(
            () -> valid().maxLifetime(Duration.ofMinutes(1)).keepaliveTime(Duration.ofMinutes(2)).toConfig())
        .hasMessage("keepaliveTime must be shorter than maxLifetime but was PT2M >= PT1M");
    assertThatThrownBy(
            () -> valid().connectionTimeout(Duration.ofMillis(500)).validationTimeout(Duration.ofSeconds(1)).toConfig())
        .hasMessage("validationTimeout must not exceed connectionTimeout but was PT1S > PT0.5S");
  }

  @Test
  void readWriteBuilderChecksItsSettings() {
    assertThatThrownBy(() -> ReadWriteDataSource.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("primary must be set");
    assertThatThrownBy(() -> ReadWriteDataSource.builder().replica(valid(), 0))
        .hasMessage("weight must be in [1, 1000] but was 0");
    assertThatThrownBy(() -> ReadWriteDataSource.builder().probeTimeout(Duration.ofMillis(10)))
        .hasMessage("probeTimeout must be in [250ms, 1h] but was 10ms");
    assertThatThrownBy(
            () ->
                ReadWriteDataSource.builder()
                    .primary(valid())
                    .healthCheckInterval(Duration.ofSeconds(2))
                    .maxReplicationLag(Duration.ofSeconds(1))
                    .build())
        .hasMessage("maxReplicationLag must be longer than healthCheckInterval but was PT1S <= PT2S");
  }

  @Test
  void sharedSchedulerUsesDaemonThreads() throws Exception {
    var scheduler = Pools.newScheduler("db", 1);
    try {
      Thread t = scheduler.submit(Thread::currentThread).get();
      assertThat(t.isDaemon()).isTrue();
      assertThat(t.getName()).isEqualTo("db-1");
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void durationsTooLongForJdbcAreRefusedNamingTheSetting() {
    Duration huge = Duration.ofSeconds(Long.MAX_VALUE);
    assertThatThrownBy(() -> valid().connectionTimeout(huge))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("connectionTimeout must be at most 24d but was PT2562047788015215H30M7S");
    assertThatThrownBy(() -> valid().idleTimeout(huge)).hasMessageStartingWith("idleTimeout must be at most 24d");
    assertThatThrownBy(() -> valid().maxLifetime(huge)).hasMessageStartingWith("maxLifetime must be at most 24d");
    assertThatThrownBy(() -> valid().keepaliveTime(huge)).hasMessageStartingWith("keepaliveTime must be at most 24d");
    assertThatThrownBy(() -> valid().validationTimeout(huge)).hasMessageStartingWith("validationTimeout must be at most 24d");
    assertThatThrownBy(() -> valid().leakDetectionThreshold(huge))
        .hasMessageStartingWith("leakDetectionThreshold must be at most 24d");
    assertThat(valid().connectionTimeout(Duration.ofDays(24)).maxLifetime(Duration.ofDays(24)).toConfig().getConnectionTimeout())
        .isEqualTo(Duration.ofDays(24).toMillis());

    assertThatThrownBy(() -> ReadWriteDataSource.builder().healthCheckInterval(huge))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("healthCheckInterval must be in [50ms, 1h] but was PT2562047788015215H30M7S");
    assertThatThrownBy(() -> ReadWriteDataSource.builder().probeTimeout(huge)).hasMessageStartingWith("probeTimeout must be in");
    assertThatThrownBy(() -> ReadWriteDataSource.builder().readTimeout(huge)).hasMessageStartingWith("readTimeout must be in [100ms, 1d]");
    assertThatThrownBy(() -> ReadWriteDataSource.builder().readTimeout(Duration.ofMillis(10)))
        .hasMessage("readTimeout must be in [100ms, 1d] but was 10ms");
    assertThatThrownBy(() -> ReadWriteDataSource.builder().maxReplicationLag(huge))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("maxReplicationLag must be at most");
  }
}
