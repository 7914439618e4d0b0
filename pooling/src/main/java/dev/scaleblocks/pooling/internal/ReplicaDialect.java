package dev.scaleblocks.pooling.internal;

import com.zaxxer.hikari.HikariConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * What the routing layer needs to know from a database about replication: the primary's write
 * position, a replica's replay position, and the server's connection limit. PostgreSQL is the one
 * implemented; another database is added by implementing this interface.
 *
 * <p>Implementations are stateless and thread-safe; every method costs one round trip on the given
 * connection.
 */
public interface ReplicaDialect {

  /** A short name for logs and errors ("postgresql"). */
  String dialectName();

  /** The primary's current WAL write position (after a commit: at or after the commit record). */
  long currentWritePosition(Connection primary) throws SQLException;

  /** Replication state of a replica. */
  ReplicaStatus replicaStatus(Connection replica) throws SQLException;

  /** The server's {@code max_connections} minus the slots reserved for superusers. */
  int usableConnectionLimit(Connection connection) throws SQLException;

  /** Whether {@code e} means the connection or the server is gone (not a problem of the query). */
  boolean isConnectionLoss(SQLException e);

  /**
   * Gives {@code config}'s connections {@code readTimeout} as the driver's own socket timeout, so
   * that they carry it from the start and no borrow pays a {@code setNetworkTimeout} (a system call
   * on borrow and another when HikariCP resets it on return). False when the driver has no such
   * setting, the user set one, or it cannot express the value; the caller then sets the network
   * timeout on each borrowed connection.
   */
  default boolean presetReadTimeout(HikariConfig config, Duration readTimeout) {
    return false;
  }

  /** The PostgreSQL dialect. */
  static ReplicaDialect postgresql() {
    return PostgresDialect.INSTANCE;
  }

  /**
   * One replica probe.
   *
   * @param inRecovery whether the server is a standby (false means it was promoted)
   * @param replayPosition the last WAL position replayed, or -1 when unknown
   * @param replayTimestampAgeMillis age of the last replayed transaction, or -1 when unknown
   */
  record ReplicaStatus(boolean inRecovery, long replayPosition, long replayTimestampAgeMillis) {}
}
