package dev.scaleblocks.pooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scaleblocks.core.Telemetry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The lazy connection before its first borrow. The pools point at a port nobody listens on, so any
 * borrow would fail: every call here that succeeds borrowed nothing.
 */
class LazyConnectionTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private ReadWriteDataSource ds;

  private static Pools.Builder unreachable(String name) {
    return Pools.builder()
        .poolName(name)
        .jdbcUrl("jdbc:postgresql://127.0.0.1:1/none")
        .maximumPoolSize(1)
        .connectionTimeout(Duration.ofMillis(250))
        .customize(c -> c.setInitializationFailTimeout(-1));
  }

  @BeforeEach
  void build() {
    ds =
        ReadWriteDataSource.builder()
            .name("lazy")
            .primary(unreachable("lazy-primary"))
            .replica(unreachable("lazy-replica"))
            .healthCheckInterval(Duration.ofMinutes(1))
            .unboundedReplicationLag()
            .telemetry(Telemetry.of(registry))
            .build();
  }

  @AfterEach
  void close() {
    ds.close();
  }

  private long acquisitions() {
    return registry.find("hikaricp.connections.acquire").timers().stream().mapToLong(t -> t.count()).sum();
  }

  @Test
  void settersBeforeFirstUseAreRecordedAndReadBackWithoutBorrowing() throws SQLException {
    Connection c = ds.getConnection();
    assertThat(c.isReadOnly()).isFalse();
    c.setReadOnly(true);
    c.setAutoCommit(false);
    c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
    c.setCatalog("cat");
    c.setSchema("app");
    c.setHoldability(ResultSet.CLOSE_CURSORS_AT_COMMIT);
    c.setNetworkTimeout(Runnable::run, 1234);

    assertThat(c.isReadOnly()).isTrue();
    assertThat(c.getAutoCommit()).isFalse();
    assertThat(c.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_SERIALIZABLE);
    assertThat(c.getCatalog()).isEqualTo("cat");
    assertThat(c.getSchema()).isEqualTo("app");
    assertThat(c.getHoldability()).isEqualTo(ResultSet.CLOSE_CURSORS_AT_COMMIT);
    assertThat(c.getNetworkTimeout()).isEqualTo(1234);
    c.commit();
    c.rollback();
    assertThat((Object) c.getWarnings()).isNull();
    c.clearWarnings();
    c.beginRequest();
    c.endRequest();
    assertThat(c.isValid(1)).isTrue();
    assertThat(c.isWrapperFor(Connection.class)).isTrue();
    assertThat(c.unwrap(Connection.class)).isSameAs(c);
    assertThat(c.isClosed()).isFalse();
    assertThat(c.toString()).contains("not borrowed");
    c.close();

    assertThat(c.isClosed()).isTrue();
    assertThat(c.isValid(1)).isFalse();
    assertThat(acquisitions()).as("nothing borrowed").isZero();
  }

  @Test
  void closeOrAbortWithoutUseBorrowsNothingAndLaterCallsFail() throws SQLException {
    Connection closed = ds.getConnection();
    closed.close();
    closed.close();
    Connection aborted = ds.getConnection();
    aborted.abort(Runnable::run);
    assertThat(aborted.isClosed()).isTrue();
    assertThat(acquisitions()).as("nothing borrowed").isZero();

    for (Connection c : new Connection[] {closed, aborted}) {
      assertThatThrownBy(() -> c.setReadOnly(true)).isInstanceOf(SQLException.class).hasMessage("connection is closed");
      assertThatThrownBy(c::createStatement)
          .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08003"));
      assertThatThrownBy(c::getMetaData).hasMessage("connection is closed");
      assertThatThrownBy(c::commit).hasMessage("connection is closed");
    }
    assertThat(acquisitions()).as("nothing borrowed").isZero();
  }

  @Test
  void firstRealUseBorrowsFromTheRoutedPool() throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setReadOnly(true);
      // the replica and then the primary are tried; both refuse, so the borrow fails
      assertThatThrownBy(c::getMetaData).isInstanceOf(SQLException.class);
      assertThat(c.isClosed()).isFalse();
    }
    double timeouts = registry.find("hikaricp.connections.timeout").counters().stream().mapToDouble(t -> t.count()).sum();
    assertThat(timeouts).as("the borrow was attempted").isPositive();
  }

  @Test
  void aDrainingDataSourceRefusesNewLazyConnectionsAndTheValidityOfOldOnes() throws SQLException {
    Connection c = ds.getConnection();
    ds.close();
    assertThat(c.isValid(0)).isFalse();
    assertThatThrownBy(ds::getConnection).hasMessageContaining("no new connections");
    c.close();
  }
}
