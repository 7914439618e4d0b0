package dev.scaleblocks.pooling.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
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
}
