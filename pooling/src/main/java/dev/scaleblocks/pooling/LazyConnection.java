package dev.scaleblocks.pooling;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * The connection {@link RoutingDataSource#getConnection()} hands out: nothing is borrowed until a
 * method needs the database. Settings made before that ({@code setReadOnly}, {@code setAutoCommit},
 * {@code setTransactionIsolation}) are remembered; {@code setReadOnly(true)} routes the borrow to a
 * replica. Closing a connection that was never used borrows nothing. Not thread-safe (like any JDBC
 * connection).
 */
final class LazyConnection implements InvocationHandler {

  private final RoutingDataSource owner;
  private @Nullable Connection target;
  private boolean readOnly;
  private @Nullable Boolean autoCommit;
  private @Nullable Integer isolation;
  private boolean closed;

  LazyConnection(RoutingDataSource owner) {
    this.owner = owner;
  }

  @Override
  public @Nullable Object invoke(Object proxy, Method method, @Nullable Object @Nullable [] args) throws Throwable {
    String m = method.getName();
    switch (m) {
      case "equals":
        return args != null && proxy == args[0];
      case "hashCode":
        return System.identityHashCode(proxy);
      case "toString":
        return "LazyConnection[" + (target == null ? "not borrowed" : target.toString()) + "]";
      case "unwrap":
        if (args != null && args[0] instanceof Class && ((Class<?>) args[0]).isInstance(proxy)) {
          return proxy;
        }
        break;
      case "isWrapperFor":
        if (args != null && args[0] instanceof Class && ((Class<?>) args[0]).isInstance(proxy)) {
          return true;
        }
        break;
      case "close":
        closed = true;
        if (target != null) {
          Connection t = target;
          target = null;
          t.close();
        }
        return null;
      case "isClosed":
        return closed || (target != null && target.isClosed());
      default:
        break;
    }
    if (target == null) {
      if (closed) {
        throw new SQLException("connection is closed", "08003");
      }
      switch (m) {
        case "setReadOnly":
          readOnly = (Boolean) args[0];
          return null;
        case "isReadOnly":
          return readOnly;
        case "setAutoCommit":
          autoCommit = (Boolean) args[0];
          return null;
        case "getAutoCommit":
          if (autoCommit != null) {
            return autoCommit;
          }
          break;
        case "setTransactionIsolation":
          isolation = (Integer) args[0];
          return null;
        case "getTransactionIsolation":
          if (isolation != null) {
            return isolation;
          }
          break;
        case "getWarnings":
          return null;
        case "clearWarnings":
          return null;
        case "commit":
        case "rollback":
          if (method.getParameterCount() == 0) {
            return null; // nothing happened yet: nothing to commit or roll back
          }
          break;
        default:
          break;
      }
      target = borrow();
    }
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private Connection borrow() throws SQLException {
    Connection c = readOnly ? owner.borrowRead(0, null) : owner.borrowWrite();
    try {
      if (autoCommit != null) {
        c.setAutoCommit(autoCommit);
      }
      if (isolation != null) {
        c.setTransactionIsolation(isolation);
      }
      if (readOnly) {
        c.setReadOnly(true);
      }
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }
}
