package dev.scaleblocks.benchmarks.pooling;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A JDBC data source whose connections do nothing, so a pool benchmark measures the pool and the
 * routing in front of it, not a database. Statements answer every query with one row that reads
 * as {@code true} / {@code "0/1"} / {@code 0}, enough for the replica probes. Thread-safe.
 */
final class StubDataSource implements DataSource {

  private static final InvocationHandler RESULT_SET =
      (proxy, method, args) -> answer(proxy, method, "0/1");
  private static final InvocationHandler STATEMENT =
      (proxy, method, args) -> {
        if (method.getName().equals("executeQuery") || method.getName().equals("getResultSet")) {
          return proxy(ResultSet.class, RESULT_SET);
        }
        return answer(proxy, method, null);
      };
  private static final InvocationHandler CONNECTION =
      (proxy, method, args) -> {
        switch (method.getName()) {
          case "createStatement":
          case "prepareStatement":
            return proxy(method.getReturnType(), STATEMENT);
          case "getAutoCommit":
            return true;
          case "isReadOnly":
          case "isClosed":
            return false;
          case "getTransactionIsolation":
            return Connection.TRANSACTION_READ_COMMITTED;
          default:
            return answer(proxy, method, null);
        }
      };

  private static Object proxy(Class<?> type, InvocationHandler handler) {
    return Proxy.newProxyInstance(StubDataSource.class.getClassLoader(), new Class<?>[] {type}, handler);
  }

  private static Object answer(Object proxy, Method method, String string) {
    Class<?> r = method.getReturnType();
    switch (method.getName()) {
      case "wasNull":
        return false;
      case "hashCode":
        return System.identityHashCode(proxy);
      case "equals":
        return false;
      case "toString":
        return "stub";
      default:
        break;
    }
    if (r == boolean.class) {
      return true;
    }
    if (r == int.class) {
      return 0;
    }
    if (r == long.class) {
      return 0L;
    }
    if (r == String.class) {
      return string;
    }
    return null;
  }

  @Override
  public Connection getConnection() {
    return (Connection) proxy(Connection.class, CONNECTION);
  }

  @Override
  public Connection getConnection(String username, String password) {
    return getConnection();
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {}

  @Override
  public void setLoginTimeout(int seconds) {}

  @Override
  public int getLoginTimeout() {
    return 0;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws java.sql.SQLException {
    throw new java.sql.SQLException("not a wrapper");
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return false;
  }

}
