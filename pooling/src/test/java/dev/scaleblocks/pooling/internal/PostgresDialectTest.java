package dev.scaleblocks.pooling.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PostgresDialectTest {

  @Test
  void parsesLsns() {
    assertThat(PostgresDialect.parseLsn("0/30262F8")).isEqualTo(0x30262F8L);
    assertThat(PostgresDialect.parseLsn("16/B374D848")).isEqualTo((0x16L << 32) | 0xB374D848L);
    assertThatThrownBy(() -> PostgresDialect.parseLsn("zz"))
        .hasMessage("lsn must look like 16/B374D848 but was zz");
  }

  @Test
  void connectionLossStates() {
    ReplicaDialect d = ReplicaDialect.postgresql();
    assertThat(d.isConnectionLoss(new SQLException("x", "08006"))).isTrue();
    assertThat(d.isConnectionLoss(new SQLException("x", "57P01"))).isTrue();
    assertThat(d.isConnectionLoss(new SQLException("x", "42P01"))).isFalse();
    assertThat(d.isConnectionLoss(new SQLException("x", "XX000", new SQLException("y", "08001")))).isTrue();
  }

  @Test
  void readTimeoutIsTheDriversSocketTimeoutWhenItCanBeSaidInWholeSeconds() {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl("jdbc:postgresql://127.0.0.1:5433/test");
    assertThat(PostgresDialect.INSTANCE.presetReadTimeout(c, Duration.ofSeconds(5))).isTrue();
    assertThat(c.getDataSourceProperties().getProperty("socketTimeout")).isEqualTo("5");

    HikariConfig fractional = new HikariConfig();
    fractional.setJdbcUrl("jdbc:postgresql://127.0.0.1:5433/test");
    assertThat(PostgresDialect.INSTANCE.presetReadTimeout(fractional, Duration.ofMillis(1500)))
        .isFalse();
    assertThat(fractional.getDataSourceProperties()).doesNotContainKey("socketTimeout");

    HikariConfig userSet = new HikariConfig();
    userSet.setJdbcUrl("jdbc:postgresql://127.0.0.1:5433/test?socketTimeout=30");
    assertThat(PostgresDialect.INSTANCE.presetReadTimeout(userSet, Duration.ofSeconds(5))).isFalse();

    HikariConfig other = new HikariConfig();
    other.setJdbcUrl("jdbc:h2:mem:x");
    assertThat(PostgresDialect.INSTANCE.presetReadTimeout(other, Duration.ofSeconds(5))).isFalse();
  }
}
