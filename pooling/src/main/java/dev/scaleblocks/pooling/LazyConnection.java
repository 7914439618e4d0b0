package dev.scaleblocks.pooling;

import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.ShardingKey;
import java.sql.Statement;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection {@link RoutingDataSource#getConnection()} hands out: nothing is borrowed until a
 * method needs the database.
 *
 * <p>Before that, {@code setReadOnly}, {@code setAutoCommit}, {@code setTransactionIsolation},
 * {@code setCatalog}, {@code setSchema}, {@code setHoldability} and {@code setNetworkTimeout} are
 * recorded (their getters answer from the record) and applied to the connection when it is
 * borrowed; {@code setReadOnly(true)} routes the borrow to a replica. {@code commit()}, {@code
 * rollback()}, {@code getWarnings()} and {@code clearWarnings()} have nothing to act on and borrow
 * nothing; {@code isValid} answers without borrowing (true while open and the data source takes
 * borrows: the pool checks the connection it hands out); {@code close()} and {@code abort} without
 * use borrow nothing. Every other method borrows on first use and then delegates directly to the
 * pooled connection.
 *
 * <p>Not thread-safe, like any JDBC connection. Cost: one small object per {@code
 * getConnection()}; after the borrow, one field read and a direct call per method.
 */
final class LazyConnection extends RoutingDataSource.ServedBy implements Connection {

  private static final Logger LOG = LoggerFactory.getLogger(LazyConnection.class);
  private static final int UNSET = Integer.MIN_VALUE;

  private final RoutingDataSource owner;
  private @Nullable Connection target;
  private boolean closed;
  private boolean readOnly;
  private int autoCommit = UNSET; // 0 false, 1 true
  private int isolation = UNSET;
  private int holdability = UNSET;
  private boolean catalogSet;
  private @Nullable String catalog;
  private boolean schemaSet;
  private @Nullable String schema;
  private @Nullable Executor networkTimeoutExecutor;
  private int networkTimeout = UNSET;

  LazyConnection(RoutingDataSource owner) {
    this.owner = owner;
  }

  /** The pooled connection, borrowed on first call. */
  private Connection target() throws SQLException {
    Connection t = target;
    return t != null ? t : borrow();
  }

  private Connection borrow() throws SQLException {
    checkOpen();
    Connection c = readOnly ? owner.borrowRead(0, this) : owner.borrowWrite(this);
    try {
      if (autoCommit != UNSET) {
        c.setAutoCommit(autoCommit == 1);
      }
      if (isolation != UNSET) {
        c.setTransactionIsolation(isolation);
      }
      if (readOnly) {
        c.setReadOnly(true);
      }
      if (catalogSet) {
        c.setCatalog(catalog);
      }
      if (schemaSet) {
        c.setSchema(schema);
      }
      if (holdability != UNSET) {
        c.setHoldability(holdability);
      }
      if (networkTimeout != UNSET) {
        c.setNetworkTimeout(networkTimeoutExecutor, networkTimeout);
      }
    } catch (SQLException | RuntimeException e) {
      try {
        c.close();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      node = null;
      throw e;
    }
    target = c;
    return c;
  }

  /** Throws when closed; for methods that act on the record before the borrow. */
  private void checkOpen() throws SQLException {
    if (closed) {
      throw new SQLNonTransientConnectionException("connection is closed", "08003");
    }
  }

  // ------------------------------------------------------------------ recorded before first use

  @Override
  public void setReadOnly(boolean readOnly) throws SQLException {
    Connection t = target;
    if (t != null) {
      t.setReadOnly(readOnly);
      return;
    }
    checkOpen();
    this.readOnly = readOnly;
  }

  @Override
  public boolean isReadOnly() throws SQLException {
    Connection t = target;
    if (t != null) {
      return t.isReadOnly();
    }
    checkOpen();
    return readOnly;
  }

  @Override
  public void setAutoCommit(boolean autoCommit) throws SQLException {
    Connection t = target;
    if (t != null) {
      t.setAutoCommit(autoCommit);
      return;
    }
    checkOpen();
    this.autoCommit = autoCommit ? 1 : 0;
  }

  @Override
  public boolean getAutoCommit() throws SQLException {
    Connection t = target;
    if (t == null && autoCommit != UNSET) {
      checkOpen();
      return autoCommit == 1;
    }
    return target().getAutoCommit();
  }

  @Override
  public void setTransactionIsolation(int level) throws SQLException {
    Connection t = target;
    if (t != null) {
      t.setTransactionIsolation(level);
      return;
    }
    checkOpen();
    this.isolation = level;
  }

  @Override
  public int getTransactionIsolation() throws SQLException {
    Connection t = target;
    if (t == null && isolation != UNSET) {
      checkOpen();
      return isolation;
    }
    return target().getTransactionIsolation();
  }

  @Override
  public void setCatalog(@Nullable String catalog) throws SQLException {
    Connection t = target;
    if (t != null) {
      t.setCatalog(catalog);
      return;
    }
    checkOpen();
    this.catalog = catalog;
    this.catalogSet = true;
  }

  @Override
  public @Nullable String getCatalog() throws SQLException {
    Connection t = target;
    if (t == null && catalogSet) {
      checkOpen();
      return catalog;
    }
    return target().getCatalog();
  }

  @Override
  public void setSchema(@Nullable String schema) throws SQLException {
    Connection t = target;
    if (t != null) {
      t.setSchema(schema);
      return;
    }
    checkOpen();
    this.schema = schema;
    this.schemaSet = true;
  }

  @Override
  public @Nullable String getSchema() throws SQLException {
    Connection t = target;
    if (t == null && schemaSet) {
      checkOpen();
      return schema;
    }
    return target().getSchema();
  }

  @Override
  public void setHoldability(int holdability) throws SQLException {
    Connection t = target;
    if (t != null) {
      t.setHoldability(holdability);
      return;
    }
    checkOpen();
    this.holdability = holdability;
  }

  @Override
  public int getHoldability() throws SQLException {
    Connection t = target;
    if (t == null && holdability != UNSET) {
      checkOpen();
      return holdability;
    }
    return target().getHoldability();
  }

  @Override
  public void setNetworkTimeout(Executor executor, int milliseconds) throws SQLException {
    Connection t = target;
    if (t != null) {
      t.setNetworkTimeout(executor, milliseconds);
      return;
    }
    checkOpen();
    if (milliseconds < 0) {
      throw new SQLException("milliseconds must not be negative but was " + milliseconds);
    }
    this.networkTimeoutExecutor = executor;
    this.networkTimeout = milliseconds;
  }

  @Override
  public int getNetworkTimeout() throws SQLException {
    Connection t = target;
    if (t == null && networkTimeout != UNSET) {
      checkOpen();
      return networkTimeout;
    }
    return target().getNetworkTimeout();
  }

  @Override
  public void commit() throws SQLException {
    Connection t = target;
    if (t != null) {
      t.commit();
      return;
    }
    checkOpen(); // nothing happened yet: nothing to commit
  }

  @Override
  public void rollback() throws SQLException {
    Connection t = target;
    if (t != null) {
      t.rollback();
      return;
    }
    checkOpen(); // nothing happened yet: nothing to roll back
  }

  @Override
  public @Nullable SQLWarning getWarnings() throws SQLException {
    Connection t = target;
    if (t != null) {
      return t.getWarnings();
    }
    checkOpen();
    return null;
  }

  @Override
  public void clearWarnings() throws SQLException {
    Connection t = target;
    if (t != null) {
      t.clearWarnings();
      return;
    }
    checkOpen();
  }

  // ------------------------------------------------------------------ lifecycle

  @Override
  public void close() throws SQLException {
    closed = true;
    Connection t = target;
    if (t != null) {
      target = null;
      node = null;
      t.close();
    }
  }

  @Override
  public boolean isClosed() throws SQLException {
    Connection t = target;
    return closed || (t != null && t.isClosed());
  }

  @Override
  public boolean isValid(int timeout) throws SQLException {
    if (timeout < 0) {
      throw new SQLException("timeout must not be negative but was " + timeout);
    }
    Connection t = target;
    if (t != null) {
      return t.isValid(timeout);
    }
    return !closed && owner.isOpen();
  }

  /**
   * Aborts the borrowed connection, if any, and takes it out of its pool (the pool would otherwise
   * get back a connection being aborted); without a borrow it only closes this connection.
   */
  @Override
  public void abort(Executor executor) throws SQLException {
    if (executor == null) {
      throw new SQLException("executor must not be null");
    }
    closed = true;
    Connection t = target;
    Node served = node;
    if (t != null) {
      target = null;
      node = null;
      try {
        t.abort(executor);
      } finally {
        if (served != null) {
          LOG.debug("{}: evicting an aborted connection", served.name);
          served.pool.evictConnection(t);
        }
      }
    }
  }

  @Override
  public void beginRequest() throws SQLException {
    Connection t = target;
    if (t != null) {
      t.beginRequest();
    }
  }

  @Override
  public void endRequest() throws SQLException {
    Connection t = target;
    if (t != null) {
      t.endRequest();
    }
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    return target().unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return iface.isInstance(this) || target().isWrapperFor(iface);
  }

  @Override
  public String toString() {
    Connection t = target;
    return "LazyConnection[" + (t != null ? t.toString() : closed ? "closed" : "not borrowed") + "]";
  }

  // ------------------------------------------------------------------ borrow on first use

  @Override
  public DatabaseMetaData getMetaData() throws SQLException {
    return target().getMetaData();
  }

  @Override
  public Statement createStatement() throws SQLException {
    return target().createStatement();
  }

  @Override
  public Statement createStatement(int resultSetType, int resultSetConcurrency) throws SQLException {
    return target().createStatement(resultSetType, resultSetConcurrency);
  }

  @Override
  public Statement createStatement(int resultSetType, int resultSetConcurrency, int resultSetHoldability)
      throws SQLException {
    return target().createStatement(resultSetType, resultSetConcurrency, resultSetHoldability);
  }

  @Override
  public PreparedStatement prepareStatement(String sql) throws SQLException {
    return target().prepareStatement(sql);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int resultSetType, int resultSetConcurrency)
      throws SQLException {
    return target().prepareStatement(sql, resultSetType, resultSetConcurrency);
  }

  @Override
  public PreparedStatement prepareStatement(
      String sql, int resultSetType, int resultSetConcurrency, int resultSetHoldability) throws SQLException {
    return target().prepareStatement(sql, resultSetType, resultSetConcurrency, resultSetHoldability);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int autoGeneratedKeys) throws SQLException {
    return target().prepareStatement(sql, autoGeneratedKeys);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int[] columnIndexes) throws SQLException {
    return target().prepareStatement(sql, columnIndexes);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, String[] columnNames) throws SQLException {
    return target().prepareStatement(sql, columnNames);
  }

  @Override
  public CallableStatement prepareCall(String sql) throws SQLException {
    return target().prepareCall(sql);
  }

  @Override
  public CallableStatement prepareCall(String sql, int resultSetType, int resultSetConcurrency)
      throws SQLException {
    return target().prepareCall(sql, resultSetType, resultSetConcurrency);
  }

  @Override
  public CallableStatement prepareCall(
      String sql, int resultSetType, int resultSetConcurrency, int resultSetHoldability) throws SQLException {
    return target().prepareCall(sql, resultSetType, resultSetConcurrency, resultSetHoldability);
  }

  @Override
  public String nativeSQL(String sql) throws SQLException {
    return target().nativeSQL(sql);
  }

  @Override
  public Savepoint setSavepoint() throws SQLException {
    return target().setSavepoint();
  }

  @Override
  public Savepoint setSavepoint(String name) throws SQLException {
    return target().setSavepoint(name);
  }

  @Override
  public void rollback(Savepoint savepoint) throws SQLException {
    target().rollback(savepoint);
  }

  @Override
  public void releaseSavepoint(Savepoint savepoint) throws SQLException {
    target().releaseSavepoint(savepoint);
  }

  @Override
  public Map<String, Class<?>> getTypeMap() throws SQLException {
    return target().getTypeMap();
  }

  @Override
  public void setTypeMap(Map<String, Class<?>> map) throws SQLException {
    target().setTypeMap(map);
  }

  @Override
  public Clob createClob() throws SQLException {
    return target().createClob();
  }

  @Override
  public Blob createBlob() throws SQLException {
    return target().createBlob();
  }

  @Override
  public NClob createNClob() throws SQLException {
    return target().createNClob();
  }

  @Override
  public SQLXML createSQLXML() throws SQLException {
    return target().createSQLXML();
  }

  @Override
  public Array createArrayOf(String typeName, Object[] elements) throws SQLException {
    return target().createArrayOf(typeName, elements);
  }

  @Override
  public Struct createStruct(String typeName, Object[] attributes) throws SQLException {
    return target().createStruct(typeName, attributes);
  }

  @Override
  public void setClientInfo(String name, String value) throws SQLClientInfoException {
    try {
      target().setClientInfo(name, value);
    } catch (SQLClientInfoException e) {
      throw e;
    } catch (SQLException e) {
      throw new SQLClientInfoException(e.getMessage(), e.getSQLState(), e.getErrorCode(), Map.of(), e);
    }
  }

  @Override
  public void setClientInfo(Properties properties) throws SQLClientInfoException {
    try {
      target().setClientInfo(properties);
    } catch (SQLClientInfoException e) {
      throw e;
    } catch (SQLException e) {
      throw new SQLClientInfoException(e.getMessage(), e.getSQLState(), e.getErrorCode(), Map.of(), e);
    }
  }

  @Override
  public @Nullable String getClientInfo(String name) throws SQLException {
    return target().getClientInfo(name);
  }

  @Override
  public Properties getClientInfo() throws SQLException {
    return target().getClientInfo();
  }

  @Override
  public void setShardingKey(ShardingKey shardingKey, ShardingKey superShardingKey) throws SQLException {
    target().setShardingKey(shardingKey, superShardingKey);
  }

  @Override
  public void setShardingKey(ShardingKey shardingKey) throws SQLException {
    target().setShardingKey(shardingKey);
  }

  @Override
  public boolean setShardingKeyIfValid(ShardingKey shardingKey, ShardingKey superShardingKey, int timeout)
      throws SQLException {
    return target().setShardingKeyIfValid(shardingKey, superShardingKey, timeout);
  }

  @Override
  public boolean setShardingKeyIfValid(ShardingKey shardingKey, int timeout) throws SQLException {
    return target().setShardingKeyIfValid(shardingKey, timeout);
  }
}
