package dev.scaleblocks.pooling.internal;

import com.zaxxer.hikari.HikariConfig;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** PostgreSQL: LSNs from {@code pg_current_wal_insert_lsn()} and {@code pg_last_wal_replay_lsn()}. */
final class PostgresDialect implements ReplicaDialect {
  static final PostgresDialect INSTANCE = new PostgresDialect();

  private PostgresDialect() {}

  @Override
  public String dialectName() {
    return "postgresql";
  }

  /**
   * pgjdbc's {@code socketTimeout} (whole seconds) on a {@code jdbc:postgresql:} URL; HikariCP reads
   * it back as the pool's network timeout, so its own resets keep it.
   */
  @Override
  public boolean presetReadTimeout(HikariConfig config, Duration readTimeout) {
    String url = config.getJdbcUrl();
    if (url == null
        || !url.startsWith("jdbc:postgresql:")
        || url.toLowerCase(Locale.ROOT).contains("sockettimeout")
        || config.getDataSourceProperties().containsKey("socketTimeout")
        || readTimeout.toMillis() % 1000 != 0) {
      return false;
    }
    config.addDataSourceProperty("socketTimeout", Long.toString(readTimeout.toSeconds()));
    return true;
  }

  @Override
  public long currentWritePosition(Connection primary) throws SQLException {
    try (Statement st = primary.createStatement();
        ResultSet rs = st.executeQuery("select pg_current_wal_insert_lsn()::text")) {
      rs.next();
      return parseLsn(rs.getString(1));
    }
  }

  @Override
  public ReplicaStatus replicaStatus(Connection replica) throws SQLException {
    try (Statement st = replica.createStatement();
        ResultSet rs =
            st.executeQuery(
                "select pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
                    + " (extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp())"
                    + " * 1000)::bigint")) {
      rs.next();
      boolean inRecovery = rs.getBoolean(1);
      String lsn = rs.getString(2);
      long age = rs.getLong(3);
      if (rs.wasNull()) {
        age = -1;
      }
      return new ReplicaStatus(inRecovery, lsn == null ? -1 : parseLsn(lsn), age);
    }
  }

  @Override
  public int usableConnectionLimit(Connection connection) throws SQLException {
    try (Statement st = connection.createStatement();
        ResultSet rs =
            st.executeQuery(
                "select current_setting('max_connections')::int"
                    + " - current_setting('superuser_reserved_connections')::int")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Override
  public boolean isConnectionLoss(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException) {
        String state = ((SQLException) t).getSQLState();
        if (isLossState(state)) {
          return true;
        }
      }
    }
    return e instanceof java.sql.SQLTransientConnectionException
        || e instanceof java.sql.SQLNonTransientConnectionException
        || e instanceof java.sql.SQLRecoverableException;
  }

  private static boolean isLossState(@Nullable String state) {
    if (state == null) {
      return false;
    }
    // 08: connection exception; 57P01..57P03: admin/crash shutdown, cannot connect now
    return state.startsWith("08")
        || state.equals("57P01")
        || state.equals("57P02")
        || state.equals("57P03");
  }

  /** Parses a PostgreSQL LSN ("16/B374D848") into an unsigned 64-bit position. */
  static long parseLsn(String lsn) {
    int slash = lsn.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("lsn must look like 16/B374D848 but was " + lsn);
    }
    long hi = Long.parseLong(lsn.substring(0, slash).toLowerCase(Locale.ROOT), 16);
    long lo = Long.parseLong(lsn.substring(slash + 1).toLowerCase(Locale.ROOT), 16);
    return (hi << 32) | lo;
  }
}
